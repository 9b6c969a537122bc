"""Integration tests need root and Mininet. CI has both (it runs as root after
scripts/install.sh), so there a missing one is a failure, not a skip."""
import os
import shutil
import signal
import subprocess
import sys

import pytest

from orchestrator.emulation.cleanup import clean_all
from orchestrator.emulation.network import root_namespace_snapshot
from tests.integration.processes import leftovers


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
