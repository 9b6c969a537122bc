"""What integration tests do to runs and processes, and what they find
left: shared by the tests and their fixtures (conftest.py)."""
import os
import signal
import subprocess
import sys
import time

import psutil

from orchestrator.emulation.cleanup import live_runs, stray_interfaces, stray_processes
from orchestrator.emulation.containers.engine import client_or_none, left_engine
from orchestrator.emulation.containers.images import LABEL
from orchestrator.emulation.state import all_states
from orchestrator.emulation.state import leftovers as state_leftovers

# Bring-up of the calibration topology takes well under a second; a run that
# has not started its process after this long has failed.
BRING_UP_TIMEOUT_S = 20


def leftovers() -> list[str]:
    """Anything of an emulation still on the machine, but what belongs to
    runs other processes have going (a run of this test process counts)."""
    others = [run for run in live_runs() if run.info["owner"] != os.getpid()]
    found = [f"process {p.pid}" for p in stray_processes(others)]
    found += [f"interface {name}" for name in stray_interfaces(others)]
    # What runs whose process is gone recorded and left running (in their
    # own namespaces: iperf3 in a host, a sandbox's cgroup).
    found += [item for run in all_states() if not run.owner_alive
              for item in state_leftovers(run)]
    client = client_or_none()
    if client is not None:
        found += [f"container {c.name}" for c in
                  client.containers.list(all=True, filters={"label": f"{LABEL}=container"})]
    engine = left_engine()
    return found + ([f"dockerd {engine.pid} that applab started"] if engine else [])


# A run's teardown after Ctrl-C: its containers' removal takes the longest
# (seconds); a run not gone after this long has hung.
TEARDOWN_TIMEOUT_S = 60


def interrupt(run) -> str:
    """Ctrl-C to a run started with the ``applab`` fixture, as from a
    terminal: it tears down and says so with exit status 130. Its stderr."""
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=TEARDOWN_TIMEOUT_S)
    assert run.returncode == 130, err
    return err


def kill(run) -> None:
    """SIGKILL: no teardown at all."""
    run.kill()
    run.communicate()


def applab_clean() -> str:
    """`applab clean`, as a user runs it after a killed run; what it said."""
    cleaned = subprocess.run([sys.executable, "-m", "orchestrator.cli", "clean"],
                             capture_output=True, text=True, timeout=120, check=False)
    assert cleaned.returncode == 0, cleaned.stderr
    return cleaned.stdout


def wait_for_process(mark: str, timeout: float = BRING_UP_TIMEOUT_S):
    """The first process whose command line holds ``mark``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in psutil.process_iter(["cmdline"]):
            if mark in " ".join(proc.info["cmdline"] or []):
                return proc
        time.sleep(0.05)
    raise AssertionError(f"no process with {mark!r} after {timeout}s")


def swarm_processes() -> list[str]:
    """The command lines of a swarm's tracker and peers still running."""
    return [" ".join(p.info["cmdline"] or []) for p in psutil.process_iter(["cmdline"])
            if any(name in part for part in p.info["cmdline"] or []
                   for name in ("opentracker", "services.p2p.peer", "aria2c"))]
