"""Integration tests need root and Mininet. CI has both (it runs as root after
scripts/install.sh), so there a missing one is a failure, not a skip."""
import os
import shutil
import signal
import subprocess
import sys

import pytest

from orchestrator.emulation.cleanup import (
    clean_all,
    live_runs,
    stray_interfaces,
    stray_processes,
)
from orchestrator.emulation.containers.engine import client_or_none, left_engine
from orchestrator.emulation.containers.images import LABEL
from orchestrator.emulation.network import root_namespace_snapshot
from orchestrator.emulation.state import all_states
from orchestrator.emulation.state import leftovers as state_leftovers


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "needs root (Mininet creates namespaces and interfaces)"
    if shutil.which("mn") is None or shutil.which("iperf3") is None:
        return "needs Mininet and iperf3 (installed by scripts/install.sh)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _missing()
    for item in items:
        if "tests/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)
            # In CI nothing is skipped: without root the tests fail, as they should.
            if reason and not os.environ.get("CI"):
                item.add_marker(pytest.mark.skip(reason=reason))


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


@pytest.fixture
def clean_machine():
    """Asserts a test leaves the machine as it found it: no shells, relays,
    interfaces, and the root namespace's routes and addresses unchanged.
    What an earlier failure left is cleaned first, so failures do not cascade."""
    if leftovers():
        clean_all()
    before = root_namespace_snapshot()
    yield
    assert leftovers() == []
    assert root_namespace_snapshot() == before


@pytest.fixture
def applab():
    """Start `applab ARGS...` as a user would; a run the test did not see to its
    end is killed and cleaned up afterwards."""
    started = []

    def start(*args):
        # As from a terminal: Ctrl-C interrupts it even when the test runner
        # itself runs where SIGINT is ignored (a background job of a script).
        proc = subprocess.Popen([sys.executable, "-m", "orchestrator.cli", *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        started.append(proc)
        return proc

    yield start
    abandoned = [p for p in started if p.poll() is None]
    for proc in abandoned:
        proc.kill()
        proc.communicate()
    if abandoned:
        clean_all()
