"""The spec's schema: pydantic models of an experiment's keys, a scenario's
overlay and the resolved scenario every other part reads."""
from __future__ import annotations

import contextlib
import copy
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PrivateAttr,
    field_validator,
    model_validator,
)

from orchestrator.emulation import SWITCH_KINDS
from orchestrator.emulation.cluster import PLACER_NAMES
from orchestrator.emulation.cluster.machines import Machine
from orchestrator.emulation.links import AUTO, REALIZERS
from orchestrator.experiment.catalogue import (
    Catalogue,
)
from orchestrator.experiment.result import EventKind
from topologies import builders
from topologies.names import (
    DEFAULT_NEGATIVE_TTL_S,
    DEFAULT_TTL_S,
    NamePlan,
    NamePlanError,
    Steering,
    fqdn,
)

# A spec's seed when it names none.
DEFAULT_SEED = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CheckSpec(_Strict):
    """A claim to check. With only ``textbook``, the quantity is shown beside
    the slide's number and not judged."""

    textbook: float | None = None  # the slide's number, printed beside the prediction
    tolerance: NonNegativeFloat | None = None
    tolerance_rel: NonNegativeFloat | None = None
    tolerance_rtts: NonNegativeFloat | None = None
    # Standard errors of the measurement's own sample: a band that narrows as
    # the run lengthens (a short run is judged by what it could show).
    sigmas: NonNegativeFloat | None = None
    # With several tolerances: "larger" allows whichever is larger ("15 % or
    # 1 RTT"), "sum" allows them added ("1 RTT + 10 %", "0.05 + 2σ").
    combine: Literal["larger", "sum"] = "larger"
    min: float | None = None
    max: float | None = None

    @property
    def judged(self) -> bool:
        return any(v is not None for v in (self.tolerance, self.tolerance_rel,
                                           self.tolerance_rtts, self.sigmas, self.min,
                                           self.max))

    @model_validator(mode="after")
    def _something_to_check(self):
        if not self.judged and self.textbook is None:
            raise ValueError("give tolerance, tolerance_rel, tolerance_rtts, sigmas, min, "
                             "max or textbook")
        return self


class TopologySpec(_Strict):
    builder: str
    params: dict[str, Any] = Field(default_factory=dict)
    # The experiment's own builders (its catalogue's), set as the spec is resolved.
    _own_builders: dict = PrivateAttr(default_factory=dict)

    def build(self):
        """The topology (pure data) this section names."""
        return builders.build(self.builder, self.params, self._own_builders)


class ServiceSpec(_Strict):
    role: str
    host: str
    params: dict[str, Any] = Field(default_factory=dict)
    after: list[str] = Field(default_factory=list)


class WorkloadSpec(_Strict):
    """A role run on some hosts. ``hosts`` and ``per_host``'s keys may name
    hosts, groups or ranges (``peer[1-30]``); validation expands them."""

    role: str
    hosts: list[str] = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    per_host: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @field_validator("hosts", mode="before", json_schema_input_type=str | list[str])
    @classmethod
    def _one_name_is_a_list(cls, value):
        return [value] if isinstance(value, str) else value
    start_at: NonNegativeFloat = 0.0   # seconds after the scenario's workloads start

    def params_for(self, host: str) -> dict:
        return {**self.params, **self.per_host.get(host, {})}


class EventSpec(_Strict):
    """One run-time action, at ``at`` seconds after the workloads start (or
    ``at: 50%`` of the duration, so a shortened run keeps its shape):

    - ``link: [a, b]`` with ``set: {bw: 15.4}`` (a change; up/down as a -> b)
      or ``state: down`` / ``up``;
    - ``service: NAME`` with ``action: stop``, ``start`` or ``kill`` (SIGKILL);
    - ``workload: NAME`` with ``action: stop`` or ``start``, on ``hosts``
      (default: all of its hosts): churn."""

    at: float | str
    label: str = ""
    link: list[str] | None = Field(default=None, min_length=2, max_length=2)
    set: dict[str, Any] | None = None
    state: Literal["up", "down"] | None = None
    service: str | None = None
    workload: str | None = None
    action: Literal["stop", "start", "kill"] | None = None
    hosts: list[str] = Field(default_factory=list)

    @field_validator("hosts", mode="before", json_schema_input_type=str | list[str])
    @classmethod
    def _one_name_is_a_list(cls, value):
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_target(self):
        targets = [k for k in ("link", "service", "workload") if getattr(self, k) is not None]
        if len(targets) != 1:
            raise ValueError("an event names one of link, service or workload")
        if self.link is not None and (self.set is None) == (self.state is None):
            raise ValueError("a link event gives set (new parameters) or state (up/down)")
        if self.link is None and (self.set is not None or self.state is not None):
            raise ValueError("set and state go with link")
        if self.link is None and self.action is None:
            raise ValueError(f"a {targets[0]} event needs an action")
        if self.service is not None and self.hosts:
            raise ValueError("hosts go with workload events")
        if self.workload is not None and self.action == "kill":
            raise ValueError("a workload is stopped or started, not killed")
        return self

    @property
    def kind(self) -> EventKind:
        if self.link is not None:
            return EventKind.LINK_SET if self.set is not None else EventKind(f"link_{self.state}")
        return EventKind(f"{'service' if self.service else 'workload'}_{self.action}")

    @property
    def target(self) -> str:
        return "-".join(self.link) if self.link else (self.service or self.workload)


class MonitorSpec(_Strict):
    node: str
    peers: list[str] = Field(min_length=1)
    bw: PositiveFloat | None = None
    queue: bool = False  # also sample the queue on node's interfaces toward peers


class CaptureSpec(_Strict):
    """A pcap of ``node``'s interface toward ``peer``, for Wireshark."""

    node: str
    peer: str
    snaplen: int = Field(default=256, ge=64)


class ContainerHostSpec(_Strict):
    """A host that is a Docker container: its image (a recipe in images/),
    CPU limit (cores, may be a fraction), memory limit (Docker's notation:
    256m, 1g) and command (default: the image's own, or none)."""

    image: str
    cpus: PositiveFloat | None = None
    memory: str | None = Field(default=None, pattern=r"^[0-9]+[bkmg]$")
    cmd: list[str] | None = None


class ControllerSpec(_Strict):
    """An OpenFlow controller for the run's Open vSwitch switches: ``app``, a
    built-in controller app or one of the experiment folder's controllers/."""

    app: str = "l2-learning"


class MachineSpec(_Strict):
    """A worker machine: where it answers SSH (as root), with which key, the
    file that must hold its host key (default: ~/.ssh/known_hosts), and the
    checkout of applab on it (its scripts/install.sh made the venv)."""

    address: str
    port: int = Field(default=22, gt=0, lt=65536)
    key: str | None = None
    known_hosts: str | None = None
    applab: str = "/opt/applab"


def machine_of(name: str, spec: MachineSpec) -> Machine:
    return Machine(name, spec.address, spec.port,
                   Path(spec.key).expanduser() if spec.key else None,
                   Path(spec.known_hosts).expanduser() if spec.known_hosts else None,
                   spec.applab)


class ZoneEntry(_Strict):
    servers: dict[str, str] = Field(min_length=1)   # name server name -> host
    ttl_s: int | None = Field(default=None, gt=0)
    registered: bool = True
    updaters: list[str] = Field(default_factory=list)  # hosts that may add records (registrars)


class SteeredName(_Strict):
    """A CDN's name, answered per access network by PowerDNS: each local DNS
    server gets ``edges`` (cdn-edge services) nearest it first, the first
    whose ``check_path`` answers over HTTP."""

    edges: list[str] = Field(min_length=1)
    check_path: str = "/health"
    # Short, so that resolvers ask again soon after an edge fails.
    ttl_s: int = Field(default=5, gt=0)


class DnsSpec(_Strict):
    """The run's DNS: zones and the hosts serving them, hosts' names, aliases
    and mail domains. Each zone's hosts run an authoritative server (BIND;
    PowerDNS for a zone holding a ``steered`` name) and ``resolver`` runs the
    local DNS server named in every host's resolv.conf, except the hosts a
    local server in ``resolvers`` takes (an access network's own). Those
    servers are services named after their hosts."""

    resolver: str                                   # the local DNS server's host
    resolvers: dict[str, list[str]] = Field(default_factory=dict)   # more: host -> its hosts
    resolution: Literal["iterated", "recursive"] = "iterated"
    ttl_s: int = Field(default=DEFAULT_TTL_S, gt=0)
    negative_ttl_s: int = Field(default=DEFAULT_NEGATIVE_TTL_S, ge=0)
    zones: dict[str, ZoneEntry] = Field(min_length=1)
    hosts: dict[str, str] = Field(default_factory=dict)     # name -> host
    aliases: dict[str, str] = Field(default_factory=dict)   # alias -> canonical name
    mail: dict[str, dict[str, int]] = Field(default_factory=dict)  # domain -> {MX: priority}
    steered: dict[str, SteeredName] = Field(default_factory=dict)

    def resolver_of(self, host: str) -> str:
        """The host of ``host``'s local DNS server."""
        return next((r for r, users in self.resolvers.items() if host in users), self.resolver)

    def plan(self, all_hosts: list[str] | None = None,
             service_hosts: dict[str, str] | None = None) -> NamePlan:
        """The name plan; a steered name's edges and askers need the run's
        hosts and where its services run."""
        plan = NamePlan(ttl=self.ttl_s, negative_ttl=self.negative_ttl_s,
                        resolution=self.resolution)
        for origin, zone in self.zones.items():
            plan.add_zone(origin, zone.servers, zone.ttl_s, zone.registered, zone.updaters)
        for name, host in self.hosts.items():
            plan.add_host(name, host)
        for alias, canonical in self.aliases.items():
            plan.add_alias(alias, canonical)
        for domain, exchangers in self.mail.items():
            for exchanger, priority in exchangers.items():
                plan.add_mx(domain, priority, exchanger)
        askers = {r: tuple(h for h in all_hosts or () if self.resolver_of(h) == r and h != r)
                  for r in (self.resolver, *self.resolvers)}
        for name, steered in self.steered.items():
            edges = tuple((service_hosts or {}).get(e, e) for e in steered.edges)
            plan.add_steered(name, Steering(edges, askers, steered.check_path, steered.ttl_s))
        return plan

    def services(self) -> dict[str, ServiceSpec]:
        """The DNS servers: a local server starts after the authoritative
        ones, as it primes its root hints as it starts."""
        plan = self.plan()
        steering = set()
        for name in self.steered:
            # A name in no zone: the spec's check names it, with its place in the file.
            with contextlib.suppress(NamePlanError):
                steering.add(plan.zone_of(fqdn(name)))
        roles = {}
        for origin, zone in self.zones.items():
            for host in zone.servers.values():
                if fqdn(origin) in steering or roles.get(host) == "dns-cdn":
                    roles[host] = "dns-cdn"
                else:
                    roles.setdefault(host, "dns-authoritative")
        # The CDN's DNS starts once the edges it checks are up: its first
        # answers are then the ones its checks decide.
        edges = list(dict.fromkeys(e for steered in self.steered.values() for e in steered.edges))
        services = {h: ServiceSpec(role=role, host=h, after=edges if role == "dns-cdn" else [])
                    for h, role in roles.items()}
        authoritative = list(services)
        for resolver in (self.resolver, *self.resolvers):
            services[resolver] = ServiceSpec(role="dns-resolver", host=resolver,
                                             after=[a for a in authoritative if a != resolver])
        return services


class ResolvedSpec(_Strict):
    """One scenario of an experiment, with the scenario's overlay applied."""

    experiment: str
    title: str
    model: str
    seed: int = DEFAULT_SEED
    # A built-in realizer or the experiment's own (catalogue.links), checked by meaning.
    realizer: str = Field(AUTO, json_schema_extra={"examples": [AUTO, *REALIZERS]})
    # ovs: the kernel datapath where its module loads, else the userspace one
    switch: Literal[SWITCH_KINDS] = "lxbr"
    controller: ControllerSpec | None = None
    # Machines beside this one; placement: host or group -> machine (or
    # "local", this one); placer: Mininet's, for the nodes not placed.
    machines: dict[str, MachineSpec] = Field(default_factory=dict)
    placement: dict[str, str] = Field(default_factory=dict)
    placer: Literal[PLACER_NAMES] | None = None
    tcp_congestion: Literal["cubic", "reno", "bbr"] = "cubic"
    # Fill every ARP table before the run: no first packet then pays an ARP
    # exchange, as RTT-counting models assume.
    static_arp: bool = False
    # While this scenario measures, the next one is prepared beside it (at the
    # lowest CPU priority), and it measures while the one before tears down:
    # for measurements at the scale of seconds, which a few milliseconds of
    # the kernel's work beside them do not move.
    prepare_ahead: bool = False
    duration_s: PositiveFloat
    topology: TopologySpec
    services: dict[str, ServiceSpec] = Field(default_factory=dict)
    workload: WorkloadSpec | None = None   # one workload, named after its role
    workloads: dict[str, WorkloadSpec] = Field(default_factory=dict)
    events: list[EventSpec] = Field(default_factory=list)
    monitor: dict[str, MonitorSpec] = Field(default_factory=dict)
    captures: list[CaptureSpec] = Field(default_factory=list)
    containers: dict[str, ContainerHostSpec] = Field(default_factory=dict)
    # Which of its model's plots to draw (plots.py); none given: all of them.
    plots: list[str] | None = None
    dns: DnsSpec | None = None
    scenario: str = ""
    scenario_title: str = ""
    # The experiment's and the scenario's prose (ScenarioMeta.about).
    about: str = ""
    scenario_about: str = ""
    checks: dict[str, CheckSpec] = Field(default_factory=dict)
    _catalogue: Catalogue = PrivateAttr(default_factory=Catalogue)

    @property
    def catalogue(self) -> Catalogue:
        """The roles and models this spec may name: built in, and its experiment's own."""
        return self._catalogue

    @model_validator(mode="after")
    def _one_way_of_giving_workloads(self):
        if self.workload is not None and self.workloads:
            raise ValueError("give workload (one) or workloads (several), not both")
        return self

    @property
    def all_workloads(self) -> dict[str, WorkloadSpec]:
        """Every workload by name; the ``workload`` shorthand is named after its role."""
        return {self.workload.role: self.workload} if self.workload else dict(self.workloads)

    def workload_path(self, name: str) -> tuple:
        """Where workload ``name`` sits in the spec, for error messages."""
        return ("workload",) if self.workload else ("workloads", name)

    def workload_of_role(self, role: str) -> WorkloadSpec:
        """The one workload of ``role`` (a model's declared input)."""
        found = [w for w in self.all_workloads.values() if w.role == role]
        if len(found) != 1:
            raise ValueError(f"expected one {role} workload, found {len(found)}")
        return found[0]

    @model_validator(mode="after")
    def _dns_servers(self):
        if self.dns:
            generated = self.dns.services()
            clash = sorted(set(generated) & set(self.services))
            if clash:
                raise ValueError(f"services {', '.join(clash)} clash with the DNS servers the "
                                 "dns section starts (one per server host, named after it)")
            self.services = {**generated, **self.services}
        return self


class ScenarioMeta(_Strict):
    title: str
    # What the scenario sets up and what the textbook claims of it, in prose
    # (a run's report shows it; the slide's numbers sit in its checks).
    about: str = ""
    checks: dict[str, CheckSpec] = Field(default_factory=dict)


SCENARIO_META_KEYS = ("title", "about", "checks")
SCENARIO_OVERLAY_KEYS = {"topology", "services", "workload", "workloads", "events", "monitor",
                         "captures", "duration_s", "seed", "realizer", "switch", "controller",
                         "machines", "placement", "placer",
                         "tcp_congestion", "dns", "static_arp", "prepare_ahead",
                         "containers"}


# A JSON Schema of specs, for an editor's YAML language server (`applab
# schema`): names and types as they are typed. Scenarios overlay the
# experiment's keys and complete each other, so no key is required but a
# scenario's title; loading still checks a whole scenario, at FILE:LINE:COL.
# A spec's first line points an editor at it:
#     # yaml-language-server: $schema=../docs/spec.schema.json
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# What a run sets itself, never a spec.
SET_BY_THE_RUN = ("scenario", "scenario_title", "scenario_about", "checks")


def _without_required(node):
    """The schema with no ``required`` lists: overlays complete each other."""
    if isinstance(node, dict):
        return {k: _without_required(v) for k, v in node.items() if k != "required"}
    if isinstance(node, list):
        return [_without_required(v) for v in node]
    return node


def spec_schema() -> dict:
    resolved = _without_required(ResolvedSpec.model_json_schema())
    meta = ScenarioMeta.model_json_schema()
    defs = {**resolved.pop("$defs"), **_without_required(meta.pop("$defs", {}))}
    properties = {k: v for k, v in resolved["properties"].items() if k not in SET_BY_THE_RUN}
    overlay = {
        "type": "object",
        "description": "A scenario: its title, what it shows, its checks, and the "
                       "experiment's keys it changes.",
        "properties": {**{k: copy.deepcopy(meta["properties"][k]) for k in SCENARIO_META_KEYS},
                       **{k: copy.deepcopy(properties[k]) for k in sorted(SCENARIO_OVERLAY_KEYS)}},
        "required": ["title"],
        "additionalProperties": False,
    }
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "applab experiment spec",
        "description": "An experiment: its topology, services, workloads and model, and "
                       "the scenarios that vary them (applab run SPEC).",
        "type": "object",
        "properties": {**properties,
                       "scenarios": {"type": "object", "additionalProperties": overlay}},
        "additionalProperties": False,
        "$defs": defs,
    }
