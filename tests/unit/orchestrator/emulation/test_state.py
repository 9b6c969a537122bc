"""A run's owner counts as running until it ends, zombie or not."""
import os
import subprocess

from orchestrator.emulation.state import running_since
from orchestrator.emulation.waiting import wait_until

EXITED_WITHIN_S = 10


def test_a_running_process_gives_its_start_and_a_zombie_none():
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert running_since(child.pid) is not None
        child.kill()
        # Not reaped yet: a zombie, as an orphan stays until it is adopted and reaped.
        wait_until(lambda: running_since(child.pid) is None, EXITED_WITHIN_S, "the child ended")
        assert os.path.exists(f"/proc/{child.pid}")
    finally:
        child.wait()
    assert running_since(child.pid) is None

