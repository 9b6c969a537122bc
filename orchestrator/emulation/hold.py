"""A held run: its network stays up after the workload, and other applab
processes (`applab exec`, `applab cli`) find its hosts here."""
from __future__ import annotations

import json
import os
from pathlib import Path

import psutil

from orchestrator.emulation.state import STATE_ROOT
from orchestrator.errors import AppLabError

HELD = STATE_ROOT / "held.json"


def publish(run_dir: Path, pids: dict[str, int], interfaces: dict[str, list]) -> None:
    HELD.parent.mkdir(parents=True, exist_ok=True)
    HELD.write_text(json.dumps({"run_dir": str(run_dir), "holder": os.getpid(),
                                "pids": pids, "interfaces": interfaces}))


def release(run_dir: Path) -> None:
    if HELD.exists() and json.loads(HELD.read_text()).get("run_dir") == str(run_dir):
        HELD.unlink()


def held() -> dict:
    if not HELD.exists():
        raise AppLabError("no held run: start one with `applab run SPEC --hold`")
    run = json.loads(HELD.read_text())
    if not psutil.pid_exists(run["holder"]):
        # The holding run was killed outright and could not say so.
        HELD.unlink()
        raise AppLabError(f"no held run: the last one (pid {run['holder']}) was killed; "
                          "`applab clean` removes what it left")
    return run


def host_pid(host: str) -> int:
    run = held()
    if host not in run["pids"]:
        raise AppLabError(f"the held run has no node {host!r} (it has "
                          f"{', '.join(sorted(run['pids']))})")
    return run["pids"][host]
