"""The one wait loop, the one way to stop processes, and the one way to
start them together."""
import signal
import subprocess
import sys

import psutil
import pytest

from orchestrator.emulation.waiting import (
    POLL_S,
    WaitTimeout,
    continue_when_stopped,
    stop_processes,
    stopped_trees,
    wait_until,
)
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



# Sets itself up for SETUP_S, stops itself, and says when it was set up and
# when it went on.
SETS_UP_THEN_STOPS = """
import os, signal, sys, time
time.sleep(float(sys.argv[1]))
set_up = time.time()
os.kill(os.getpid(), signal.SIGSTOP)
print(set_up, time.time(), flush=True)
"""
SETUP_S = (0.0, 0.3, 0.6)
# Waiting for programs that take at most 0.6 s to set up.
SETUP_WITHIN_S = 10


def program(*argv: str) -> subprocess.Popen:
    return subprocess.Popen(list(argv), stdout=subprocess.PIPE, text=True,
                            start_new_session=True)


def test_programs_that_stop_themselves_go_on_together_once_the_last_is_set_up():
    procs = [program(sys.executable, "-c", SETS_UP_THEN_STOPS, str(s)) for s in SETUP_S]
    # One behind a shell that waits for it: its tree, not itself, stops.
    procs.append(program("sh", "-c", f'{sys.executable} -c "$0" 0.1; true', SETS_UP_THEN_STOPS))
    assert continue_when_stopped(procs, SETUP_WITHIN_S) == []
    times = [tuple(map(float, proc.communicate(timeout=10)[0].split())) for proc in procs]
    last_set_up = max(set_up for set_up, _ in times)
    assert all(went_on >= last_set_up for _, went_on in times)


def test_one_that_never_stops_is_named_and_the_others_go_on_all_the_same():
    stopping = program(sys.executable, "-c", SETS_UP_THEN_STOPS, "0")
    exiting = program(sys.executable, "-c", "pass")
    never = program(sys.executable, "-c", "import time; time.sleep(60)")
    try:
        assert continue_when_stopped([stopping, exiting, never], 0.5) == [never]
        assert stopping.communicate(timeout=10)[0].strip()     # it went on
        assert exiting.wait(10) == 0
    finally:
        never.kill()
        never.wait()


class FakeProcess:
    def __init__(self, pid: int, ppid: int, status: str):
        self.pid, self.info = pid, {"ppid": ppid, "status": status}


def test_a_tree_counts_as_stopped_by_any_process_below_its_root():
    table = [FakeProcess(10, 1, psutil.STATUS_SLEEPING),
             FakeProcess(11, 10, psutil.STATUS_SLEEPING),
             FakeProcess(12, 11, psutil.STATUS_STOPPED),          # a grandchild of 10
             FakeProcess(20, 1, psutil.STATUS_STOPPED),           # a root itself
             FakeProcess(30, 1, psutil.STATUS_SLEEPING),
             FakeProcess(40, 1, psutil.STATUS_STOPPED)]           # stopped, no root's
    assert stopped_trees([10, 20, 30], lambda: table) == {10, 20}
