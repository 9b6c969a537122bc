"""The one wait loop and the one way to stop processes."""
import signal
import subprocess
import sys

import pytest

from orchestrator.emulation.waiting import POLL_S, WaitTimeout, stop_processes, wait_until
from tests.unit.clock import FakeClock

# Each program takes this long to shut down after SIGTERM.
SHUTDOWN_S = 1.0
SLOW_SHUTDOWN = f"""
import signal, sys, time
signal.signal(signal.SIGTERM, lambda *_: (time.sleep({SHUTDOWN_S}), sys.exit(3)))
print("up", flush=True)
time.sleep(60)
"""
DEAF = """
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("up", flush=True)
time.sleep(60)
"""


def started(program: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "up\n"
    return proc


def test_shutdowns_overlap_and_the_deaf_one_is_killed_at_the_deadline():
    """All are signalled before any is awaited: two that each take SHUTDOWN_S
    exit on their own within a deadline of 1.5 SHUTDOWN_S, which one after
    the other would miss; one that ignores SIGTERM is killed."""
    slow = [started(SLOW_SHUTDOWN), started(SLOW_SHUTDOWN)]
    deaf = started(DEAF)
    stop_processes([*slow, deaf], 1.5 * SHUTDOWN_S)
    assert [proc.returncode for proc in slow] == [3, 3]
    assert deaf.returncode == -signal.SIGKILL


def test_a_wait_names_what_it_waited_for_and_why_it_gave_up():
    clock = FakeClock()
    with pytest.raises(WaitTimeout, match="the cache ready: not after 2s"):
        wait_until(lambda: False, 2.0, "the cache ready", clock=clock, sleep=clock.sleep)
    with pytest.raises(WaitTimeout, match="the cache ready: exited with 1"):
        wait_until(lambda: False, 2.0, "the cache ready", gave_up=lambda: "exited with 1",
                   clock=clock, sleep=clock.sleep)
    clock = FakeClock()
    assert wait_until(lambda: clock() >= 1.0, 2.0, "a second", clock=clock,
                      sleep=clock.sleep) == pytest.approx(1.0, abs=POLL_S)

