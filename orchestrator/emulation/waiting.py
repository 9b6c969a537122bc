"""The one wait-until loop, the one way to stop a process, and the one way
to start processes together."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable

import psutil

from orchestrator.errors import AppLabError

POLL_S = 0.02


class WaitTimeout(AppLabError):
    """A condition did not come true in time."""


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str,
               gave_up: Callable[[], str | None] | None = None, poll_s: float = POLL_S,
               clock: Callable[[], float] = time.monotonic,
               sleep: Callable[[float], None] = time.sleep) -> float:
    """Poll ``condition`` until it holds; return the seconds it took.
    ``gave_up`` returns a reason to stop early (the process died), raised as
    the error with ``what``; so is running out of time."""
    started = clock()
    while not condition():
        reason = gave_up() if gave_up else None
        if reason:
            raise WaitTimeout(f"{what}: {reason}")
        if clock() - started > timeout_s:
            raise WaitTimeout(f"{what}: not after {timeout_s:g}s")
        sleep(poll_s)
    return clock() - started


def stop_process(proc: subprocess.Popen, timeout_s: float,
                 first: signal.Signals = signal.SIGTERM, group: bool = False) -> int | None:
    """Send ``first``; SIGKILL if it has not exited after ``timeout_s``.
    ``group``: signal its whole process group (a daemon started through a
    script, a program that forked: children would outlive it), also when it
    has exited itself. Returns its exit status (None if it was not ours to
    reap)."""
    stop_processes([proc], timeout_s, first, group)
    return proc.returncode


def stop_processes(procs: list, timeout_s: float, first: signal.Signals = signal.SIGTERM,
                   group: bool = False) -> None:
    """``stop_process`` for each of ``procs``, their shutdowns overlapping:
    all are sent ``first``, then awaited until one deadline."""
    def send(proc, sig):
        with contextlib.suppress(ProcessLookupError):
            signal_group(proc, sig) if group else proc.send_signal(sig)

    running = [proc for proc in procs if proc.poll() is None]
    for proc in running:
        send(proc, first)
    deadline = time.monotonic() + timeout_s
    for proc in running:
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            send(proc, signal.SIGKILL)
            proc.wait()
    if group:
        for proc in procs:
            send(proc, signal.SIGKILL)    # what it forked and left behind


def signal_group(proc, sig: signal.Signals) -> None:
    """Signal ``proc``'s process group where it runs: here, or on a worker
    for a program started there (cluster.nodes.RemoteProcess)."""
    remote = getattr(proc, "signal_group", None)
    if remote is not None:
        remote(sig)
    else:
        os.killpg(proc.pid, sig)


def stopped_trees(roots: Iterable[int],
                  processes: Callable[[], Iterable] = lambda: psutil.process_iter(
                      ["ppid", "status"])) -> set[int]:
    """Those of ``roots`` with a stopped process (SIGSTOP) in their tree:
    itself, or what it started (a program behind nsenter)."""
    roots, parent, stopped = set(roots), {}, []
    for process in processes():
        parent[process.pid] = process.info["ppid"]
        if process.info["status"] == psutil.STATUS_STOPPED:
            stopped.append(process.pid)
    found = set()
    for pid in stopped:
        while pid and pid not in roots:
            pid = parent.get(pid)
        if pid:
            found.add(pid)
    return found


def continue_when_stopped(procs: list, timeout_s: float, poll_s: float = 0.1) -> list:
    """Wait until each of ``procs`` has stopped itself once set up, or
    exited, then continue them all at once (SIGCONT to each group, also
    after a timeout). Returns those not stopped by then (none: all began)."""
    def unready() -> list:
        running = [proc for proc in procs if proc.poll() is None]
        stopped = stopped_trees(proc.pid for proc in running)
        return [proc for proc in running if proc.pid not in stopped]

    try:
        with contextlib.suppress(WaitTimeout):
            wait_until(lambda: not unready(), timeout_s, "programs set up", poll_s=poll_s)
        return unready()
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                signal_group(proc, signal.SIGCONT)
