"""What one scenario run measured, and what its model made of it, typed:
what models and the report read, written to a run folder and read back."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # models read results: this module imports none of theirs
    from orchestrator.experiment.models.base import Check, Quantity


@dataclass
class WorkloadRun:
    """One workload: its hosts and every row its runs logged, each with
    ``client`` (the host) added."""

    name: str
    role: str
    hosts: list[str]
    rows: list[dict] = field(default_factory=list)


@dataclass
class LinkSeries:
    """One monitor: per-second utilisation of ``node``'s links toward its
    peers. ``down`` is node -> peers (its capacity ``down_mbps``), ``up`` back."""

    name: str
    node: str
    peers: list[str]
    down_mbps: float
    up_mbps: float
    rows: list[dict] = field(default_factory=list)


class EventKind(StrEnum):
    """What a timeline event does; the value is what events.csv and run.json keep."""

    LINK_SET = "link_set"
    LINK_UP = "link_up"
    LINK_DOWN = "link_down"
    SERVICE_STOP = "service_stop"
    SERVICE_KILL = "service_kill"
    SERVICE_START = "service_start"
    WORKLOAD_STOP = "workload_stop"
    WORKLOAD_START = "workload_start"

    @property
    def stops_a_service(self) -> bool:
        return self in (EventKind.SERVICE_STOP, EventKind.SERVICE_KILL)

    @property
    def on_a_service(self) -> bool:
        return self in (EventKind.SERVICE_STOP, EventKind.SERVICE_KILL, EventKind.SERVICE_START)


@dataclass
class EventRecord:
    """A timeline event as it happened: ``at_s`` as planned and ``happened_s``
    as carried out, both seconds after the workloads started."""

    at_s: float
    kind: EventKind
    target: str
    label: str = ""
    hosts: list[str] = field(default_factory=list)
    happened_s: float | None = None
    took_s: float | None = None
    error: str = ""
    detail: dict = field(default_factory=dict)  # what the action saw, e.g. queued bytes

    def __post_init__(self):
        self.kind = EventKind(self.kind)   # as read back from JSON, or a made-up run

    def row(self) -> dict:
        return {"at_s": self.at_s, "happened_s": self.happened_s, "took_s": self.took_s,
                "kind": self.kind, "target": self.target, "label": self.label,
                "hosts": " ".join(self.hosts), "error": self.error,
                "detail": json.dumps(self.detail) if self.detail else ""}


@dataclass
class RunResult:
    realizer: str
    window: tuple[float, float]        # workloads' start, and start + duration (wall clock)
    workloads: dict[str, WorkloadRun]
    services: dict[str, dict]          # each service's own metrics, with ready_s
    links: dict[str, LinkSeries]
    events: list[EventRecord]
    addresses: dict[str, str]
    link_params: dict[str, dict]       # each link's parameters at the end, per direction
    link_stats: dict[str, dict]
    pcaps: list[str]
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase
    resources: dict = field(default_factory=dict)  # CPU seconds, memory peak (resources.py)
    containers: dict[str, str] = field(default_factory=dict)  # container host -> image
    datapath: str | None = None  # Open vSwitch's (kernel, user); None: Linux bridges
    # monitors on switches, measured again by the OpenFlow controller's port counters
    port_stats: dict[str, LinkSeries] = field(default_factory=dict)
    network_namespace: str = ""  # own or machine (emulation/apart.py)

    def rows(self, workload: str | None = None) -> list[dict]:
        """The rows of one workload, or of all in turn."""
        if workload is not None:
            return self.workloads[workload].rows
        return [row for run in self.workloads.values() for row in run.rows]

    def of_role(self, role: str) -> WorkloadRun:
        return next(w for w in self.workloads.values() if w.role == role)

    def utilisation(self, monitor: str) -> list[dict]:
        return self.links[monitor].rows if monitor in self.links else []

    def event_times(self) -> list[tuple[float, str]]:
        """(seconds after start, label) of every event that happened."""
        return [(e.happened_s, e.label or f"{e.kind} {e.target}") for e in self.events
                if e.happened_s is not None and not e.error]

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> RunResult:
        """The inverse of ``as_dict`` (after a trip through JSON)."""
        return cls(**{**data,
                      "window": tuple(data["window"]),
                      "workloads": {n: WorkloadRun(**w) for n, w in data["workloads"].items()},
                      "links": {n: LinkSeries(**s) for n, s in data["links"].items()},
                      "port_stats": {n: LinkSeries(**s)
                                     for n, s in data.get("port_stats", {}).items()},
                      "events": [EventRecord(**e) for e in data["events"]]})


@dataclass
class ScenarioResult:
    """One scenario: what ran, what its model made of it, and the checks."""

    name: str
    title: str
    model: str
    quantities: list[Quantity]
    checks: list[Check]
    details: dict
    run: RunResult

    @property
    def ok(self) -> bool:
        return all(c.ok is not False for c in self.checks)
