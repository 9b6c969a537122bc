"""`make bench`: run every benchmark, write bench/results/<name>.json."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from bench import (
    bringup,
    chapter,
    container_bringup,
    experiment_phases,
    fidelity,
    grading,
    relay_rate,
)
from orchestrator.experiment.manifest import environment, now_iso

RESULTS = Path(__file__).resolve().parent / "results"
BENCHMARKS = {"bringup": lambda: bringup.run(RESULTS / "bringup.png"),
              "container_bringup": container_bringup.run,
              "fidelity": fidelity.run, "relay_rate": relay_rate.run, "grading": grading.run,
              "experiment_phases": lambda: experiment_phases.run(
                  RESULTS / "experiment_phases.log"),
              "chapter": lambda: chapter.run(RESULTS / "chapter.log")}


def main(names: list[str]) -> None:
    RESULTS.mkdir(exist_ok=True)
    for name in names or list(BENCHMARKS):
        started = now_iso()
        result = BENCHMARKS[name]()
        document = {"benchmark": name, "started": started, "finished": now_iso(),
                    "environment": environment(), "result": result}
        path = RESULTS / f"{name}.json"
        path.write_text(json.dumps(document, indent=2) + "\n")
        print(json.dumps({name: result}, indent=2))
        print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
