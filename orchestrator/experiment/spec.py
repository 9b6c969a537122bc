"""Experiment specs: YAML in, validated ``ResolvedSpec`` per scenario out.

Everything is checked before anything starts, and each problem is reported as
``FILE:LINE:COLUMN: field.path: what is wrong``.
"""
from __future__ import annotations

import contextlib
import copy
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from orchestrator.emulation.cluster.machines import Machine
from orchestrator.emulation.cluster.placement import COORDINATOR, PlacementError, place
from orchestrator.emulation.containers.images import ImageError, load_recipe
from orchestrator.errors import SpecError
from orchestrator.experiment.catalogue import (
    Catalogue,
    CatalogueError,
    load_catalogue,
    spec_file,
)
from orchestrator.experiment.portstats import CONTROLLER_CHECKS
from orchestrator.experiment.result import EventKind
from orchestrator.experiment.yamlmarks import Mark, YamlError, load_with_marks, mark_for
from topologies import builders
from topologies.names import (
    DEFAULT_NEGATIVE_TTL_S,
    DEFAULT_TTL_S,
    NamePlan,
    NamePlanError,
    Steering,
    fqdn,
)
from topologies.params import (
    DIRECTIONS,
    SPEC_LINK_KEYS,
    LinkParamError,
    link_from_info,
    normalise_change,
    parse_link,
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
        """The DNS servers, authoritative ones first: a local server primes
        its root hints as it starts."""
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
        for resolver in (self.resolver, *self.resolvers):
            services[resolver] = ServiceSpec(role="dns-resolver", host=resolver)
        return services


class ResolvedSpec(_Strict):
    """One scenario of an experiment, with the scenario's overlay applied."""

    experiment: str
    title: str
    model: str
    seed: int = DEFAULT_SEED
    realizer: Literal["auto", "netem", "relay"] = "auto"
    # ovs: the kernel datapath where its module loads, else the userspace one
    switch: Literal["lxbr", "ovs", "ovs-user"] = "lxbr"
    controller: ControllerSpec | None = None
    # Machines beside this one; placement: host or group -> machine (or
    # "local", this one); placer: Mininet's, for the nodes not placed.
    machines: dict[str, MachineSpec] = Field(default_factory=dict)
    placement: dict[str, str] = Field(default_factory=dict)
    placer: Literal["round-robin", "switch-bin"] | None = None
    tcp_congestion: Literal["cubic", "reno", "bbr"] = "cubic"
    # Fill every ARP table before the run: no first packet then pays an ARP
    # exchange, as RTT-counting models assume.
    static_arp: bool = False
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
                         "tcp_congestion", "dns", "static_arp", "containers"}


def _merge(base: Any, overlay: Any, where: tuple, origin: dict, overlay_at: tuple) -> Any:
    """Deep-merge mappings; ``origin`` maps merged paths to overlay paths."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        merged = dict(base)
        for key, value in overlay.items():
            merged[key] = _merge(base.get(key), value, (*where, key), origin, (*overlay_at, key))
        return merged
    _mark_subtree(overlay, where, origin, overlay_at)
    return copy.deepcopy(overlay)


def _mark_subtree(value, where, origin, overlay_at):
    origin[where] = overlay_at
    children = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else ())
    for key, child in children:
        _mark_subtree(child, (*where, key), origin, (*overlay_at, key))


@dataclass
class Experiment:
    """A loaded spec: its scenarios, resolved and validated."""

    path: Path
    raw: dict
    scenarios: dict[str, ResolvedSpec]
    catalogue: Catalogue

    @property
    def name(self) -> str:
        return self.raw.get("experiment", self.path.stem)

    @property
    def title(self) -> str:
        return self.raw.get("title", "")


class _Problems:
    def __init__(self, marks: dict, origin: dict | None = None):
        self.marks, self.origin, self.items = marks, origin or {}, []

    def add(self, where: tuple, message: str) -> None:
        where = tuple(where)
        source = where
        # The nearest ancestor a scenario overlay replaced decides the file position.
        for cut in range(len(where), 0, -1):
            if where[:cut] in self.origin:
                source = self.origin[where[:cut]] + where[cut:]
                break
        mark: Mark = mark_for(self.marks, source)
        field = ".".join(str(p) for p in where) or "(top level)"
        self.items.append(f"{mark}: {field}: {message}")


def _pydantic_problems(exc: ValidationError, problems: _Problems, prefix: tuple = ()) -> None:
    for error in exc.errors():
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] == "missing":
            message = "required key is missing"
        problems.add((*prefix, *loc), message)


def substitute(value: Any, variables: dict[str, str]) -> Any:
    """``value`` with ``{name}`` in every string replaced by ``variables[name]``."""
    if isinstance(value, str):
        for name, text in variables.items():
            value = value.replace("{" + name + "}", text)
        return value
    if isinstance(value, dict):
        return {key: substitute(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute(item, variables) for item in value]
    return value


def load(path: Path, duration_s: float | None = None, only: list[str] | None = None,
         without_dns: bool = False, custom: list[Path] = (),
         variables: dict[str, str] | None = None, seed: int | None = None) -> Experiment:
    """Load and validate ``path`` (a spec, or an experiment folder with its own
    roles and models), with the ``custom`` modules: every scenario, or those
    in ``only``. ``without_dns`` drops the dns sections: hosts then name each
    other by address. ``variables`` fill ``{name}`` in the spec's strings (an
    assignment's ``{folder}`` and ``{solution}``). ``seed``, if given, is the
    spec's seed (a regrade reproduces a graded run's network)."""
    try:
        catalogue = load_catalogue(path, custom)
    except CatalogueError as exc:
        raise SpecError(exc.problems) from None
    path = spec_file(path)
    try:
        raw, marks = load_with_marks(path)
        raw = substitute(raw, variables or {})
    except YamlError as exc:
        raise SpecError([str(exc)]) from None
    except OSError as exc:
        raise SpecError([f"{path}: cannot read: {exc.strerror}"]) from None
    if not isinstance(raw, dict):
        raise SpecError([f"{marks[()]}: (top level): a spec is a mapping of keys"])
    if seed is not None:
        raw["seed"] = seed

    scenarios_raw = raw.get("scenarios") or {"default": {"title": raw.get("title", "")}}
    problems = _Problems(marks)
    if not isinstance(scenarios_raw, dict):
        problems.add(("scenarios",), "must map scenario names to overlays")
        raise SpecError(problems.items)
    if only:
        for name in only:
            if name not in scenarios_raw:
                problems.add(("scenarios",), f"no scenario {name!r} (have "
                             f"{', '.join(map(str, scenarios_raw))})")
        if problems.items:
            raise SpecError(problems.items)
    dropped = {"scenarios", "dns"} if without_dns else {"scenarios"}
    base = {k: v for k, v in raw.items() if k not in dropped}
    if without_dns:
        scenarios_raw = {name: {k: v for k, v in overlay.items() if k != "dns"}
                         if isinstance(overlay, dict) else overlay
                         for name, overlay in scenarios_raw.items()}
    resolved = {}
    for name, overlay in scenarios_raw.items():
        if only and name not in only:
            continue
        spec = _resolve(base, str(name), overlay, marks, problems, duration_s, catalogue)
        if spec is not None:
            resolved[str(name)] = spec
    if problems.items:
        raise SpecError(problems.items)
    return Experiment(path, raw, resolved, catalogue)


def _resolve(base, name, overlay, marks, problems: _Problems, duration_s,
             catalogue: Catalogue) -> ResolvedSpec | None:
    at = ("scenarios", name)
    if not isinstance(overlay, dict):
        problems.add(at, "a scenario is a mapping (title, checks and overlays)")
        return None
    meta = {k: overlay[k] for k in SCENARIO_META_KEYS if k in overlay}
    try:
        meta_model = ScenarioMeta(**meta)
    except ValidationError as exc:
        _pydantic_problems(exc, problems, at)
        return None
    unknown = set(overlay) - SCENARIO_OVERLAY_KEYS - set(SCENARIO_META_KEYS)
    for key in sorted(unknown):
        problems.add((*at, key), f"unknown key (a scenario may override "
                     f"{', '.join(sorted(SCENARIO_OVERLAY_KEYS))})")
    origin: dict = {}
    body = {k: v for k, v in overlay.items() if k in SCENARIO_OVERLAY_KEYS}
    merged = _merge(base, body, (), origin, at)
    merged.update(scenario=name, scenario_title=meta_model.title,
                  scenario_about=meta_model.about, checks=meta.get("checks", {}))
    for key in meta:
        origin[(f"scenario_{key}" if key in ("title", "about") else key,)] = (*at, key)
    origin[("checks",)] = (*at, "checks")
    if "checks" in meta:
        _mark_subtree(meta["checks"], ("checks",), origin, (*at, "checks"))
    if duration_s is not None:
        merged["duration_s"] = duration_s
    scoped = _Problems(marks, origin)
    try:
        spec = ResolvedSpec(**merged)
    except ValidationError as exc:
        _pydantic_problems(exc, scoped)
        problems.items += [p for p in scoped.items if p not in problems.items]
        return None
    spec._catalogue = catalogue
    spec.topology._own_builders = catalogue.builders
    _check_semantics(spec, scoped)
    problems.items += [p for p in scoped.items if p not in problems.items]
    return spec if not scoped.items else None


def _check_semantics(spec: ResolvedSpec, problems: _Problems) -> None:
    _check_model(spec, problems)
    _check_controller(spec, problems)
    topo_at = ("topology",)
    known = [*builders.BUILDERS, *spec.catalogue.builders]
    if spec.topology.builder not in known:
        problems.add((*topo_at, "builder"), f"unknown builder {spec.topology.builder!r} "
                     f"(have {', '.join(known)})")
        return
    for key, value in spec.topology.params.items():
        if key == "link" or key.endswith("_link"):
            normalised = _check_link(value, (*topo_at, "params", key), key, problems)
            if normalised is not None:
                spec.topology.params[key] = normalised
    if problems.items:
        return
    try:
        topo = spec.topology.build()
    except (TypeError, ValueError) as exc:
        problems.add((*topo_at, "params", *getattr(exc, "where", ())),
                     f"the {spec.topology.builder} builder refused these parameters: {exc}")
        return
    hosts, nodes = set(topo.hosts()), set(topo.nodes())
    names = HostNames(topo)

    def known_host(where, host):
        if host not in hosts:
            problems.add(where, f"host {host!r} does not exist (hosts: "
                         f"{', '.join(sorted(hosts))})")

    for name, service in spec.services.items():
        at = ("services", name)
        known_host((*at, "host"), service.host)
        _check_role(service.role, service.params, at, spec, problems)
        for dependency in service.after:
            if dependency not in spec.services:
                problems.add((*at, "after"), f"no service {dependency!r} to start after")
    for name, workload in spec.all_workloads.items():
        _check_workload(spec, name, workload, names, problems)
    for index, event in enumerate(spec.events):
        _check_event(spec, index, event, topo, names, problems)
    for index, capture in enumerate(spec.captures):
        for key in ("node", "peer"):
            if getattr(capture, key) not in nodes:
                problems.add(("captures", index, key),
                             f"node {getattr(capture, key)!r} does not exist")
        if capture.node in hosts and capture.peer in nodes and not any(
                {capture.node, capture.peer} == {a, b} for a, b in topo.links()):
            problems.add(("captures", index, "peer"),
                         f"{capture.node!r} has no link to {capture.peer!r}")
    for name, monitor in spec.monitor.items():
        if monitor.node not in nodes:
            problems.add(("monitor", name, "node"), f"node {monitor.node!r} does not exist")
        monitor.peers = names.expand(monitor.peers, ("monitor", name, "peers"), problems,
                                     among=nodes)
        if monitor.bw is None and monitor.node in nodes:
            rates = {peer: monitored_rates(topo, monitor.node, peer) for peer in monitor.peers}
            if len(set(rates.values())) > 1:
                problems.add(("monitor", name, "peers"), "its links have different rates ("
                             + "; ".join(f"{monitor.node}-{peer}: {_rate(down)} down, "
                                         f"{_rate(up)} up" for peer, (down, up) in rates.items())
                             + "): give the monitor a bw, the capacity to measure against")
    for host, container in spec.containers.items():
        _check_container(host, container, hosts, problems)
    _check_programs_in_containers(spec, problems)
    _check_placement(spec, topo, problems)
    if spec.dns:
        _check_dns(spec, topo, problems)


def _rate(mbps: float | None) -> str:
    return "unshaped" if mbps is None else f"{mbps:g} Mb/s"


def monitored_rates(topo, node: str, peer: str) -> tuple[float | None, float | None] | None:
    """The rates (Mb/s) of the link node--peer from node (down) and toward
    it (up); None if there is no such link."""
    for _, _, info in topo.links(withInfo=True):
        if {info["node1"], info["node2"]} == {node, peer}:
            link = link_from_info(f"{info['node1']}-{info['node2']}", info)
            leaving, arriving = (link.up, link.down) if info["node1"] == node else \
                (link.down, link.up)
            return leaving.bw_mbps, arriving.bw_mbps
    return None


def _check_placement(spec: ResolvedSpec, topo, problems: _Problems) -> None:
    if COORDINATOR in spec.machines:
        problems.add(("machines", COORDINATOR), f"{COORDINATOR!r} is this machine's name "
                     "in a placement: give the worker another")
    if (spec.placement or spec.placer) and not spec.machines:
        problems.add(("placement",) if spec.placement else ("placer",),
                     "a placement needs machines to place on: add a machines section")
        return
    try:
        placed = place(topo, spec.placement, list(spec.machines), spec.placer)
    except PlacementError as exc:
        where = ("placement", *exc.where) if exc.where != ("placer",) else ("placer",)
        problems.add(where, str(exc))
        return
    elsewhere = {node for node, machine in placed.items() if machine != COORDINATOR}
    if elsewhere and spec.switch != "lxbr":
        problems.add(("switch",), "a run over several machines uses Linux bridges "
                     "(Mininet's cluster edition drives them over SSH): give it switch lxbr")
    for host in sorted(elsewhere & set(spec.containers)):
        problems.add(("containers", host), f"{host} is placed on machine {placed[host]}: "
                     "container hosts run on this machine only")
    if spec.controller and elsewhere & set(topo.switches()):
        problems.add(("controller",), "the controller listens on this machine's loopback: "
                     "keep every switch here (switches placed on "
                     f"{', '.join(sorted(elsewhere & set(topo.switches())))})")


# Docker's own bounds, as the engine here answered: 0.01 CPUs at least and the
# machine's at most ("Range of CPUs is from 0.01 to 2.00"), 6 MB of memory at
# least ("Minimum memory limit allowed is 6MB").
MIN_CONTAINER_CPUS = 0.01
MIN_CONTAINER_MEMORY_BYTES = 6 * 2 ** 20
MEMORY_UNITS = {"b": 1, "k": 2 ** 10, "m": 2 ** 20, "g": 2 ** 30}


def _check_container(host: str, container: ContainerHostSpec, hosts: set[str],
                     problems: _Problems) -> None:
    at = ("containers", host)
    if host not in hosts:
        problems.add(at, f"host {host!r} does not exist (hosts: {', '.join(sorted(hosts))})")
    try:
        load_recipe(container.image)
    except ImageError as exc:
        problems.add((*at, "image"), str(exc))
    cores = os.cpu_count() or 1
    if container.cpus is not None and not MIN_CONTAINER_CPUS <= container.cpus <= cores:
        problems.add((*at, "cpus"), f"{container.cpus:g} CPUs: the engine allows "
                     f"{MIN_CONTAINER_CPUS:g} to this machine's {cores}")
    if container.memory and int(container.memory[:-1]) * MEMORY_UNITS[container.memory[-1]] \
            < MIN_CONTAINER_MEMORY_BYTES:
        problems.add((*at, "memory"), f"{container.memory}: the engine needs at least 6m")


def _check_programs_in_containers(spec: ResolvedSpec, problems: _Problems) -> None:
    """A container host runs its image's programs, never applab's own Python ones."""
    roles = spec.catalogue.roles
    placed = [(f"services.{name}", service.role, [service.host])
              for name, service in spec.services.items()]
    placed += [(".".join(map(str, spec.workload_path(name))), workload.role, workload.hosts)
               for name, workload in spec.all_workloads.items()]
    for where, role, on in placed:
        if not getattr(roles.get(role), "host_python", False):
            continue
        for host in (h for h in on if h in spec.containers):
            problems.add(("containers", host), f"{host} runs {where} (role {role}), "
                         "applab's own Python program, which a container's image does not "
                         "hold: keep that host a namespace host")


def _check_controller(spec: ResolvedSpec, problems: _Problems) -> None:
    if spec.controller is None:
        return
    apps = spec.catalogue.controllers
    if spec.controller.app not in apps:
        problems.add(("controller", "app"), f"unknown controller app {spec.controller.app!r} "
                     f"(have {', '.join(apps)}; an experiment folder adds its controllers/*.py)")
    if spec.switch == "lxbr":
        problems.add(("controller",), "a controller needs Open vSwitch switches: give the "
                     "spec switch: ovs (or ovs-user)")


def _check_model(spec: ResolvedSpec, problems: _Problems) -> None:
    """The model exists, knows every check, and finds the inputs it declares."""
    models = spec.catalogue.models
    if spec.model not in models:
        problems.add(("model",), f"unknown model {spec.model!r} (have {', '.join(models)})")
        return
    model = models[spec.model]
    for check in spec.checks:
        if check in CONTROLLER_CHECKS:
            if spec.controller is None:
                problems.add(("checks", check), f"{check!r} compares the controller's port "
                             "counters: the scenario has no controller")
        elif check not in model.checks:
            problems.add(("checks", check), f"the {spec.model} model has no check "
                         f"{check!r} (it has {', '.join(model.checks)})")
    declared = [plot.name for plot in model.plots]
    for index, name in enumerate(spec.plots or ()):
        if name not in declared:
            problems.add(("plots", index), f"the {spec.model} model draws no plot {name!r} "
                         f"(it draws {', '.join(declared) or 'none'})")
    needs = model.requires
    for monitor in needs.monitors:
        if monitor not in spec.monitor:
            problems.add(("monitor",), f"the {spec.model} model reads a monitor named "
                         f"{monitor!r}: {needs.monitors[monitor]}")
    roles = [w.role for w in spec.all_workloads.values()]
    for role in needs.workload_roles:
        if roles.count(role) != 1:
            problems.add(("workloads",) if spec.workloads else ("workload",),
                         f"the {spec.model} model reads one {role} workload "
                         f"(this scenario has {roles.count(role)})")
    for role in needs.pooled_workload_roles:
        if role not in roles:
            problems.add(("workloads",) if spec.workloads else ("workload",),
                         f"the {spec.model} model reads {role} workloads "
                         "(this scenario has none)")


def _check_link(value, at: tuple, key: str, problems: _Problems) -> dict | None:
    """A link's parameters, checked; returns them normalised (Mb/s, '20ms'),
    so nothing after validation reads a raw '1.54Mbit'."""
    if not isinstance(value, dict):
        problems.add(at, "a link is a mapping of parameters")
        return None
    bad = False
    for scope, fields in [((), value)] + [((d,), value[d]) for d in DIRECTIONS
                                          if isinstance(value.get(d), dict)]:
        allowed = set(SPEC_LINK_KEYS) | (set(DIRECTIONS) if not scope else set())
        for field in set(fields) - allowed:
            problems.add((*at, *scope, field), "unknown link parameter")
            bad = True
    try:
        return None if bad else parse_link(key, value).spec()
    except LinkParamError as exc:
        problems.add((*at, *exc.field.split(".")), str(exc).split(": ", 2)[-1])
        return None


class HostNames:
    """Expands what a spec may write for hosts: a host, a group of the
    topology (``peers``), or a range (``peer[1-30]``, ``peer[1,3,5-7]``)."""

    RANGE = re.compile(r"^(?P<prefix>[^\[\]]*)\[(?P<items>[0-9,\- ]+)\](?P<suffix>[^\[\]]*)$")

    def __init__(self, topo):
        self.hosts = set(topo.hosts())
        self.groups = dict(getattr(topo, "groups", {}))

    def expand_one(self, item: str, among: set[str]) -> list[str]:
        """The hosts ``item`` stands for; ValueError says why it stands for none."""
        if item in among:
            return [item]
        if item in self.groups:
            return list(self.groups[item])
        match = self.RANGE.match(str(item))
        if not match:
            raise ValueError(f"host {item!r} does not exist (a host, a group "
                             f"({', '.join(sorted(self.groups)) or 'none here'}) or a "
                             "range such as peer[1-30])")
        found = []
        for part in match["items"].replace(" ", "").split(","):
            low, _, high = part.partition("-")
            if not low.isdigit() or (high and not high.isdigit()):
                raise ValueError(f"{item!r}: {part!r} is not a number or a range a-b")
            for number in range(int(low), int(high or low) + 1):
                name = f"{match['prefix']}{number}{match['suffix']}"
                if name not in among:
                    raise ValueError(f"{item!r} names {name!r}, which does not exist")
                found.append(name)
        if not found:
            raise ValueError(f"{item!r} names no host")
        return found

    def expand(self, items: list[str], at: tuple, problems: _Problems,
               among: set[str] | None = None) -> list[str]:
        """Each item expanded, in order, without repeats; problems at each item."""
        hosts: list[str] = []
        for index, item in enumerate(items):
            try:
                hosts += [h for h in self.expand_one(item, among or self.hosts)
                          if h not in hosts]
            except ValueError as exc:
                problems.add((*at, index), str(exc))
        return hosts


def _check_workload(spec: ResolvedSpec, name: str, workload: WorkloadSpec, names: HostNames,
                    problems: _Problems) -> None:
    at = spec.workload_path(name)
    workload.hosts = names.expand(workload.hosts, (*at, "hosts"), problems)
    per_host = {}
    for key, params in workload.per_host.items():
        try:
            targets = names.expand_one(key, names.hosts)
        except ValueError as exc:
            problems.add((*at, "per_host", key), str(exc))
            continue
        for host in targets:
            if host not in workload.hosts:
                problems.add((*at, "per_host", key), f"{host!r} is not one of this "
                             "workload's hosts")
            per_host[host] = {**per_host.get(host, {}), **params}
        role = spec.catalogue.roles.get(workload.role)
        for param in params if role else ():
            if param not in role.defaults:
                problems.add((*at, "per_host", key, param), f"the {workload.role} role has "
                             f"no parameter {param!r} (it has {', '.join(role.defaults)})")
    workload.per_host = per_host
    _check_role(workload.role, workload.params, at, spec, problems)
    if workload.start_at >= spec.duration_s:
        problems.add((*at, "start_at"), f"{workload.start_at:g} s is not before the end of "
                     f"the run ({spec.duration_s:g} s)")


def _check_event(spec: ResolvedSpec, index: int, event: EventSpec, topo, names: HostNames,
                 problems: _Problems) -> None:
    at = ("events", index)
    if isinstance(event.at, str):
        match = re.fullmatch(r"\s*(-?[0-9]*\.?[0-9]+)\s*%\s*", event.at)
        if not match:
            problems.add((*at, "at"), f"{event.at!r} is not seconds or a share of the "
                         "duration such as '50%'")
            return
        event.at = float(match[1]) / 100 * spec.duration_s
    if event.at < 0:
        problems.add((*at, "at"), f"{event.at:g} s is before the workloads start (0 s)")
    elif event.at > spec.duration_s:
        problems.add((*at, "at"), f"{event.at:g} s is after the run ends "
                     f"(duration_s {spec.duration_s:g} s)")
    if event.link is not None:
        a, b = event.link
        nodes = set(topo.nodes())
        for i, node in enumerate(event.link):
            if node not in nodes:
                problems.add((*at, "link", i), f"node {node!r} does not exist")
        if a in nodes and b in nodes and not any({a, b} == {x, y} for x, y in topo.links()):
            problems.add((*at, "link"), f"there is no link {a}-{b}")
        if event.set is not None and _check_link(event.set, (*at, "set"), f"{a}-{b}",
                                                 problems) is not None:
            event.set = normalise_change(f"{a}-{b}", event.set)
    elif event.service is not None:
        if event.service not in spec.services:
            problems.add((*at, "service"), f"no service {event.service!r} in this scenario "
                         f"(have {', '.join(spec.services) or 'none'})")
    else:
        workloads = spec.all_workloads
        if event.workload not in workloads:
            problems.add((*at, "workload"), f"no workload {event.workload!r} in this "
                         f"scenario (have {', '.join(workloads) or 'none'})")
            return
        own = set(workloads[event.workload].hosts)
        event.hosts = names.expand(event.hosts, (*at, "hosts"), problems) or \
            list(workloads[event.workload].hosts)
        for host in event.hosts:
            if host not in own:
                problems.add((*at, "hosts"), f"{host!r} is not one of workload "
                             f"{event.workload!r}'s hosts")


def _check_dns(spec: ResolvedSpec, topo, problems: _Problems) -> None:
    """Every host the plan names exists, every name belongs to a zone, the
    zones build into a hierarchy under a root, and a steered name's edges
    are CDN edges."""
    dns = spec.dns
    hosts = set(topo.hosts())
    named = [(("dns", "resolver"), dns.resolver)]
    named += [(("dns", "resolvers", r), r) for r in dns.resolvers]
    for origin, zone in dns.zones.items():
        named += [(("dns", "zones", origin, "servers", server), host)
                  for server, host in zone.servers.items()]
        named += [(("dns", "zones", origin, "updaters", i), host)
                  for i, host in enumerate(zone.updaters)]
    named += [(("dns", "hosts", name), host) for name, host in dns.hosts.items()]
    for where, host in named:
        if host not in hosts:
            problems.add(where, f"host {host!r} does not exist")
    taken: dict[str, str] = {}
    for resolver, users in dns.resolvers.items():
        dns.resolvers[resolver] = HostNames(topo).expand(users, ("dns", "resolvers", resolver),
                                                         problems)
        for host in dns.resolvers[resolver]:
            if host in taken:
                problems.add(("dns", "resolvers", resolver),
                             f"host {host!r} already uses {taken[host]}")
            taken[host] = resolver
    for name, steered in dns.steered.items():
        for i, edge in enumerate(steered.edges):
            service = spec.services.get(edge)
            if service is None or service.role != "cdn-edge":
                problems.add(("dns", "steered", name, "edges", i),
                             f"{edge!r} is not a cdn-edge service of this scenario")
    if problems.items:
        return
    plan = dns.plan()
    for section in ("hosts", "aliases", "mail", "steered"):
        for name in getattr(dns, section):
            try:
                plan.zone_of(fqdn(name))
            except NamePlanError as exc:
                problems.add(("dns", section, name), str(exc))
    if problems.items:
        return
    try:
        plan.build({h: "0.0.0.0" for h in hosts}).root_servers()
    except NamePlanError as exc:
        problems.add(("dns", "zones"), str(exc))


def _check_role(role, params, at, spec: ResolvedSpec, problems: _Problems) -> None:
    roles = spec.catalogue.roles
    if role not in roles:
        problems.add((*at, "role"), f"unknown role {role!r} (have {', '.join(roles)})")
        return
    service = roles[role]
    for key in params:
        if key not in service.defaults:
            problems.add((*at, "params", key), f"the {role} role has no parameter {key!r} "
                         f"(it has {', '.join(service.defaults)})")
    if hasattr(service, "param_problems"):
        for where, message in service.param_problems(params, spec):
            problems.add((*at, "params", *where), message)
    for key in getattr(service, "service_refs", ()):
        ref = params.get(key)
        if ref is not None and ref not in spec.services:
            problems.add((*at, "params", key), f"no service {ref!r} in this scenario")
