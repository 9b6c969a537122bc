"""A scenario prepared beside another that measures yields the CPU to it:
its process, and all it starts, run at the lowest priority until its own
turn to measure comes, when every one of them is raised back."""
from __future__ import annotations

import os

import psutil

PREPARING_NICE = 19
MEASURING_NICE = 0


def lower_this_thread() -> None:
    """This thread, and every process it starts from now on (they inherit it)."""
    os.setpriority(os.PRIO_PROCESS, 0, PREPARING_NICE)


def raise_this_thread() -> None:
    os.setpriority(os.PRIO_PROCESS, 0, MEASURING_NICE)


def _net_namespace(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino
    except OSError:
        return None


def processes_of(host_pids: list[int], own_namespace: bool) -> set[int]:
    """This process, what it started, and every process in its hosts'
    network namespaces (daemons that left its tree), and in its own
    namespace if it has one."""
    namespaces = {ns for ns in map(_net_namespace, host_pids) if ns is not None}
    if own_namespace:
        namespaces.add(_net_namespace(os.getpid()))
    me = psutil.Process()
    found = {me.pid} | {child.pid for child in me.children(recursive=True)}
    found |= {pid for pid in psutil.pids() if _net_namespace(pid) in namespaces}
    return found


def raise_processes(pids: set[int]) -> int:
    """Every thread of ``pids`` left at the preparing priority back to the
    normal one (a program's own other nice value is left as it chose);
    returns how many threads were raised."""
    raised = 0
    for pid in pids:
        try:
            threads = [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]
        except OSError:
            continue            # it has exited
        for tid in threads:
            try:
                if os.getpriority(os.PRIO_PROCESS, tid) == PREPARING_NICE:
                    os.setpriority(os.PRIO_PROCESS, tid, MEASURING_NICE)
                    raised += 1
            except OSError:
                continue
    return raised
