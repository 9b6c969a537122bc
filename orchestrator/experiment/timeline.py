"""Run-time events carried out at their times, each recorded as it happened.

The timeline knows nothing of networks or services: it calls ``act`` with
each planned event at its time, in order, on a thread of its own, and keeps
an ``EventRecord`` of when it really happened, how long it took, and what
``act`` reported it saw. Its
clock and wait are injected, so tests drive it without waiting.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from orchestrator.experiment.result import EventKind, EventRecord


@dataclass(frozen=True)
class Planned:
    """An event to carry out ``at_s`` seconds after the workloads start."""

    at_s: float
    kind: str           # link_set, link_down, link_up, service_stop/start/kill, workload_...
    target: str         # a link "a-b", a service or a workload
    label: str = ""
    hosts: tuple[str, ...] = ()
    change: dict = field(default_factory=dict, compare=False)  # a link_set's parameters
    ends: tuple[str, ...] = ()   # a link's two nodes (names may hold "-")


def plan(events, workloads) -> list[Planned]:
    """The spec's events and each late workload's start, in time order
    (events at the same time in the order given)."""
    planned = [Planned(e.at, e.kind, e.target, e.label, tuple(e.hosts), e.set or {},
                       tuple(e.link or ())) for e in events]
    planned += [Planned(w.start_at, EventKind.WORKLOAD_START, name, "start_at", tuple(w.hosts))
                for name, w in workloads.items() if w.start_at > 0]
    return sorted(planned, key=lambda p: p.at_s)


class Timeline:
    def __init__(self, planned: list[Planned], act: Callable[[Planned], dict | None],
                 clock: Callable[[], float] = time.monotonic):
        self.planned = planned
        self.act = act
        self.clock = clock
        self.records: list[EventRecord] = [
            EventRecord(p.at_s, p.kind, p.target, p.label, list(p.hosts)) for p in planned]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.t0 = 0.0  # when the workloads started, on ``clock``

    def start(self, t0: float) -> Timeline:
        """Begin counting from ``t0`` (on ``clock``) on a thread of its own."""
        self.t0 = t0
        self._thread = threading.Thread(target=self.run, name="timeline", daemon=True)
        self._thread.start()
        return self

    def run(self, wait: Callable[[float], bool] | None = None) -> None:
        """Carry out every event in turn; ``wait(seconds)`` returns True to stop early."""
        wait = wait or self._stop.wait
        for planned, record in zip(self.planned, self.records, strict=True):
            if wait(max(0.0, self.t0 + planned.at_s - self.clock())):
                return
            record.happened_s = self.clock() - self.t0
            try:
                record.detail = self.act(planned) or {}
            except Exception as exc:  # recorded: the run reports it after the workloads
                record.error = f"{type(exc).__name__}: {exc}"
            record.took_s = self.clock() - self.t0 - record.happened_s

    def stop(self) -> None:
        """Stop waiting for events not yet due; let one under way finish."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    @property
    def failures(self) -> list[EventRecord]:
        return [r for r in self.records if r.error]
