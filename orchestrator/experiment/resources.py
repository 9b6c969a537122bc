"""What a scenario cost the machine: CPU seconds of this process and of every
process it started (reaped children: daemons, workloads, relays, shells), the
machine's memory in use at its peak, and how busy its cores were, sampled
while the workloads run (a model can then tell what the machine itself
delayed)."""
from __future__ import annotations

import multiprocessing
import os
import resource
import time
from collections.abc import Callable

import psutil

# The machine held a moment back when, in a sampled interval it overlaps, its
# cores were this busy: every process then waits for a CPU, programs and
# relays alike.
MACHINE_BUSY_PERCENT = 90.0


def saturated(busy: list[list[float]], begin: float, end: float) -> bool:
    """Were the cores MACHINE_BUSY_PERCENT busy in a sampled interval that
    overlaps [begin, end] (Unix times)? ``busy``: (time, percent) samples,
    each covering the interval since the one before it."""
    return any(pct >= MACHINE_BUSY_PERCENT
               for (t0, _), (t1, pct) in zip(busy, busy[1:], strict=False)
               if t1 > begin and t0 < end)


def saturated_seconds(busy: list[list[float]], begin: float, end: float) -> float:
    """How much of [begin, end] fell in sampled intervals whose cores were
    MACHINE_BUSY_PERCENT busy."""
    return sum(max(0.0, min(t1, end) - max(t0, begin))
               for (t0, _), (t1, pct) in zip(busy, busy[1:], strict=False)
               if pct >= MACHINE_BUSY_PERCENT)


def cpu_seconds() -> float:
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                         resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def memory_used_bytes() -> int:
    return psutil.virtual_memory().used


def other_runs() -> int:
    """applab's other live runs on this machine: they share its cores. The
    scenarios of the same run, prepared beside this one at a lower priority
    (experiment/pipeline.py), are its siblings, not other runs."""
    from orchestrator.emulation import state

    return sum(1 for run in state.all_states()
               if run.owner_alive and run.info["owner"] != os.getpid()
               and not _sibling(run.info["owner"]))


def _sibling(pid: int) -> bool:
    """Another worker of this process's run (its parent's)."""
    parent = multiprocessing.parent_process()
    try:
        return parent is not None and psutil.Process(pid).ppid() == parent.pid
    except psutil.Error:
        return False


def cores_busy_percent() -> float:
    """How busy the machine's cores were, on average, since the last call."""
    return psutil.cpu_percent(interval=None)


class ResourceMeter:
    def __init__(self, cpu: Callable[[], float] = cpu_seconds,
                 memory: Callable[[], int] = memory_used_bytes,
                 clock: Callable[[], float] = time.monotonic,
                 cores: int = psutil.cpu_count() or 1,
                 busy: Callable[[], float] = cores_busy_percent,
                 wall: Callable[[], float] = time.time,
                 others: Callable[[], int] = other_runs):
        self.cpu, self.memory, self.clock, self.cores = cpu, memory, clock, cores
        self.busy, self.wall, self.others = busy, wall, others
        self.others_peak = 0
        self.cpu_start = self.wall_start = 0.0
        self.memory_start = self.memory_peak = 0
        self.busy_samples: list[tuple[float, float]] = []   # (Unix time, percent)

    def start(self) -> None:
        self.cpu_start, self.wall_start = self.cpu(), self.clock()
        self.memory_start = self.memory_peak = self.memory()
        self.busy()     # the first call only sets where the next one counts from

    def sample(self) -> None:
        self.memory_peak = max(self.memory_peak, self.memory())
        self.busy_samples.append((self.wall(), self.busy()))
        self.others_peak = max(self.others_peak, self.others())

    def stop(self) -> dict:
        """CPU seconds and wall seconds since start, the CPU's share of the
        machine's cores, the memory the run added at its peak, and how busy
        the cores were between samples, and the most other applab runs
        that shared them at once."""
        cpu, wall = self.cpu() - self.cpu_start, self.clock() - self.wall_start
        return {"cpu_s": cpu, "wall_s": wall,
                "cpu_share": cpu / (wall * self.cores) if wall > 0 else None,
                "memory_added_mb": (self.memory_peak - self.memory_start) / 1e6,
                "cores_busy": [list(sample) for sample in self.busy_samples],
                "other_runs_at_once": self.others_peak}
