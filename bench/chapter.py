"""The whole chapter's wall time on this machine: `applab run experiments/`
(`make chapter`), timed as a whole command, with each experiment's phases
as its chapter.json records them. Its printed report is kept beside the
JSON (chapter.log)."""
from __future__ import annotations

import json
from pathlib import Path
from tempfile import TemporaryDirectory

from bench.timed_run import REPO, timed_applab_run
from orchestrator.experiment.chapter import CHAPTER_FILE

FOLDER = REPO / "experiments"


def run(log: Path | None = None) -> dict:
    with TemporaryDirectory() as out:
        wall, status = timed_applab_run(FOLDER, out, log)
        chapter = json.loads(next(Path(out).glob(f"*/{CHAPTER_FILE}")).read_text())
    experiments = chapter["experiments"]
    phases: dict[str, float] = {}
    for found in experiments.values():
        for phase, seconds in found["phases_s"]["all"].items():
            phases[phase] = phases.get(phase, 0.0) + seconds
    return {"folder": str(FOLDER.relative_to(REPO)), "wall_s": round(wall, 1),
            "exit_status": status, "checks_failed": chapter["failed"],
            "phases_s": {k: round(v, 1) for k, v in sorted(phases.items())},
            "per_experiment_s": {name: {k: round(v, 1) for k, v in
                                        found["phases_s"]["all"].items()}
                                 | {"total": round(found["phases_s"]["total"], 1)}
                                 for name, found in experiments.items()}}
