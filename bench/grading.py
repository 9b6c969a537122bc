"""Grading throughput and what the sandbox costs.

- Submissions per minute of `applab assignment grade udp-pinger` over a
  class of shipped solutions, at --jobs 1 and --jobs 2 (each submission in a
  process and a network of its own).
- What a sandbox adds to starting one program on a host: its cgroup, its
  tmpfs home, bubblewrap and setpriv, and its removal, against the same
  program started as any command.
"""
from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

from orchestrator.assignments.model import find

CLASS = {"reference": 4, "wrong-clock": 4}   # copies of each shipped solution
JOBS = (1, 2)
STARTS = 20


def _class(folder: Path) -> int:
    solutions = find("udp-pinger").solutions()
    count = 0
    for name, copies in CLASS.items():
        for copy in range(copies):
            target = folder / f"{name}-{copy}"
            target.mkdir(parents=True)
            shutil.copy(solutions[name], target / solutions[name].name)
            count += 1
    return count


def grading_rate() -> dict:
    rows = {}
    with TemporaryDirectory() as tmp:
        submissions = Path(tmp) / "class"
        count = _class(submissions)
        for jobs in JOBS:
            started = time.monotonic()
            subprocess.run([sys.executable, "-m", "orchestrator.cli", "assignment", "grade",
                            "udp-pinger", str(submissions), "--jobs", str(jobs),
                            "--out", str(Path(tmp) / f"jobs-{jobs}")],
                           check=True, capture_output=True)
            wall = time.monotonic() - started
            rows[jobs] = {"wall_s": wall, "per_minute": 60 * count / wall}
    return {"submissions": count, "by_jobs": rows}


def sandbox_cost() -> dict:
    from orchestrator.emulation.commands import start_program
    from orchestrator.emulation.network import Network
    from services.base import SandboxLimits
    from topologies.builders import star_lan

    plain, sandboxed = [], []
    with TemporaryDirectory() as tmp, Network(star_lan(2), Path(tmp)) as net:
        home = Path(tmp) / "home"
        home.mkdir()
        for run in range(STARTS):
            started = time.monotonic()
            start_program(net["h1"], ["true"]).wait()
            plain.append(time.monotonic() - started)
            started = time.monotonic()
            sandbox = net.sandbox("h1", f"bench{run}", home, SandboxLimits(), hidden=[])
            sandbox.popen(["true"]).wait()
            sandbox.finish()
            sandboxed.append(time.monotonic() - started)
    plain_ms, sandboxed_ms = (1000 * statistics.median(t) for t in (plain, sandboxed))
    return {"starts": STARTS, "plain_ms": plain_ms, "sandboxed_ms": sandboxed_ms,
            "added_ms": sandboxed_ms - plain_ms}


def run() -> dict:
    return {"grading": grading_rate(), "sandbox": sandbox_cost()}
