"""Programs on emulated hosts (an assignment's, a student's): how each run
ended. Whether a program did what it should is its assignment checker's to
say, against the live network (orchestrator/assignments)."""
from __future__ import annotations

from orchestrator.experiment.models.base import Quantity, Requires
from services.programs.program import TIMED_OUT_STATUS, Program

CHECKS = ("programs_exited_ok",)
REQUIRES = Requires()
PROGRAM_ROLE = Program.role


def quantities(spec, run) -> tuple[list[Quantity], dict]:
    exits = {f"{name} on {row['client']}": {"status": row["status"],
                                             "timed_out": row["status"] == TIMED_OUT_STATUS,
                                             "stopped": row["stopped"]}
             for name, workload in run.workloads.items() if workload.role == PROGRAM_ROLE
             for row in workload.rows if row.get("kind") == "exit"}
    ended = [e for e in exits.values() if not e["stopped"]]
    found = [Quantity("programs_exited_ok",
                      sum(e["status"] == 0 for e in ended) / len(ended) if ended else None,
                      1.0, "", "program runs that exited with status 0")]
    return found, {"exits": exits}


def report_lines(details: dict) -> list[str]:
    return [f"{run}: " + ("timed out" if e["timed_out"] else f"exit status {e['status']}")
            for run, e in details["exits"].items()]
