"""Where `make experiment`'s wall time goes: `applab run` on the default spec,
timed as a whole command, with the phases its manifest records. Its printed
report is kept beside the JSON (experiment_phases.log)."""
from __future__ import annotations

import json
from pathlib import Path
from tempfile import TemporaryDirectory

from bench.timed_run import REPO, timed_applab_run

SPEC = REPO / "experiments" / "access-link.yaml"
# The goal: everything but the workloads within 5 % of the wall time.
OVERHEAD_GOAL = 0.05


def run(log: Path | None = None) -> dict:
    with TemporaryDirectory() as out:
        wall, status = timed_applab_run(SPEC, out, log)
        if status != 0:
            raise RuntimeError(f"applab run {SPEC} exited {status}: see {log}")
        manifest = json.loads(next(Path(out).glob("*/manifest.json")).read_text())
    phases = manifest["phases_s"]
    workload = phases["all"].get("workload", 0.0)
    overhead = 1 - workload / wall
    return {"spec": str(SPEC.relative_to(REPO)), "wall_s": round(wall, 1),
            "phases_s": {k: round(v, 2) for k, v in phases["all"].items()},
            "per_scenario_s": {name: {k: round(v, 2) for k, v in spent.items()}
                               for name, spent in phases["scenarios"].items()},
            "process_start_and_exit_s": round(wall - phases["total"], 2),
            "overhead_fraction": round(overhead, 4), "goal": OVERHEAD_GOAL,
            "goal_met": overhead <= OVERHEAD_GOAL,
            # The phases' time that ran beside another scenario's measurement
            # (the next one prepared, the one before torn down).
            "overlapped_s": round(phases.get("overlapped_s", 0.0), 2),
            "calibration_reused": all("cached" in c for c in manifest["calibration"].values())}
