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
# The experiment's own time beyond its windows, which the emulated links set:
# the warm-up's round trips and the drain of the requests still in flight.
# With one scenario at a time no tool can go below them.
EXPERIMENT_OWN_PHASES = ("warm-up", "drain")


def run(log: Path | None = None) -> dict:
    with TemporaryDirectory() as out:
        wall, status = timed_applab_run(SPEC, out, log)
        if status != 0:
            raise RuntimeError(f"applab run {SPEC} exited {status}: see {log}")
        manifest = json.loads(next(Path(out).glob("*/manifest.json")).read_text())
    phases = manifest["phases_s"]
    workload = phases["all"].get("workload", 0.0)
    overhead = 1 - workload / wall
    own = sum(phases["all"].get(name, 0.0) for name in EXPERIMENT_OWN_PHASES)
    tool_overhead = (wall - workload - own) / wall
    return {"spec": str(SPEC.relative_to(REPO)), "wall_s": round(wall, 1),
            "phases_s": {k: round(v, 2) for k, v in phases["all"].items()},
            "per_scenario_s": {name: {k: round(v, 2) for k, v in spent.items()}
                               for name, spent in phases["scenarios"].items()},
            "process_start_and_exit_s": round(wall - phases["total"], 2),
            "overhead_fraction": round(overhead, 4), "goal": OVERHEAD_GOAL,
            "goal_met": overhead <= OVERHEAD_GOAL,
            # Its two parts: the experiment's own (the least overhead one
            # scenario at a time can have) and the tool's (everything else).
            "experiment_own_s": round(own, 2),
            "experiment_own_fraction": round(own / (workload + own), 4),
            "tool_overhead_fraction": round(tool_overhead, 4),
            "tool_goal_met": tool_overhead <= OVERHEAD_GOAL,
            "calibration_reused": all("cached" in c for c in manifest["calibration"].values())}
