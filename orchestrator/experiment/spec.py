"""Experiment specs: YAML in, validated ``ResolvedSpec`` per scenario out.

Everything is checked before anything starts, and each problem is reported as
``FILE:LINE:COLUMN: field.path: what is wrong``.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    ValidationError,
    model_validator,
)

from orchestrator.experiment.models import MODELS
from orchestrator.experiment.yamlmarks import Mark, YamlError, load_with_marks, mark_for
from services import REGISTRY
from topologies import builders
from topologies.names import (
    DEFAULT_NEGATIVE_TTL_S,
    DEFAULT_TTL_S,
    NamePlan,
    NamePlanError,
    fqdn,
)
from topologies.params import LinkParamError, parse_link_params


class SpecError(ValueError):
    """One or more problems in a spec, each with its file, line and field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CheckSpec(_Strict):
    tolerance: NonNegativeFloat | None = None
    tolerance_rel: NonNegativeFloat | None = None
    tolerance_rtts: NonNegativeFloat | None = None
    # With both tolerance_rel and tolerance_rtts: "larger" allows whichever is
    # larger ("15 % or 1 RTT"), "sum" allows both added ("1 RTT + 10 %").
    combine: Literal["larger", "sum"] = "larger"
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _something_to_check(self):
        if all(v is None for v in (self.tolerance, self.tolerance_rel, self.tolerance_rtts,
                                   self.min, self.max)):
            raise ValueError("give tolerance, tolerance_rel, tolerance_rtts, min or max")
        return self


class TopologySpec(_Strict):
    builder: str
    params: dict[str, Any] = Field(default_factory=dict)

    def build(self):
        """The topology (pure data) this section names."""
        return builders.build(self.builder, self.params)


class ServiceSpec(_Strict):
    role: str
    host: str
    params: dict[str, Any] = Field(default_factory=dict)
    after: list[str] = Field(default_factory=list)


class WorkloadSpec(_Strict):
    role: str
    hosts: list[str] = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)


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


class ZoneEntry(_Strict):
    servers: dict[str, str] = Field(min_length=1)   # name server name -> host
    ttl_s: int | None = Field(default=None, gt=0)
    registered: bool = True
    updaters: list[str] = Field(default_factory=list)  # hosts that may add records (registrars)


class DnsSpec(_Strict):
    """The run's DNS: zones and the hosts serving them, hosts' names, aliases
    and mail domains. Each zone's hosts run an authoritative server and
    ``resolver`` runs the local DNS server, every host's resolv.conf names it.
    Those servers are services named after their hosts."""

    resolver: str                                   # the local DNS server's host
    resolution: Literal["iterated", "recursive"] = "iterated"
    ttl_s: int = Field(default=DEFAULT_TTL_S, gt=0)
    negative_ttl_s: int = Field(default=DEFAULT_NEGATIVE_TTL_S, ge=0)
    zones: dict[str, ZoneEntry] = Field(min_length=1)
    hosts: dict[str, str] = Field(default_factory=dict)     # name -> host
    aliases: dict[str, str] = Field(default_factory=dict)   # alias -> canonical name
    mail: dict[str, dict[str, int]] = Field(default_factory=dict)  # domain -> {MX: priority}

    def plan(self) -> NamePlan:
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
        return plan

    def services(self) -> dict[str, ServiceSpec]:
        """The DNS servers, authoritative ones first: the local server primes
        its root hints as it starts."""
        hosts = dict.fromkeys(h for zone in self.zones.values() for h in zone.servers.values())
        services = {h: ServiceSpec(role="dns-authoritative", host=h) for h in hosts}
        services[self.resolver] = ServiceSpec(role="dns-resolver", host=self.resolver)
        return services


class ResolvedSpec(_Strict):
    """One scenario of an experiment, with the scenario's overlay applied."""

    experiment: str
    title: str
    model: str
    seed: int = 1
    realizer: Literal["auto", "netem", "relay"] = "auto"
    switch: Literal["lxbr", "ovs", "ovs-user"] = "lxbr"
    tcp_congestion: Literal["cubic", "reno", "bbr"] = "cubic"
    # Fill every ARP table before the run: no first packet then pays an ARP
    # exchange, as RTT-counting models assume.
    static_arp: bool = False
    duration_s: PositiveFloat
    topology: TopologySpec
    services: dict[str, ServiceSpec] = Field(default_factory=dict)
    workload: WorkloadSpec | None = None
    monitor: dict[str, MonitorSpec] = Field(default_factory=dict)
    captures: list[CaptureSpec] = Field(default_factory=list)
    plots: list[Literal["utilisation", "delay_cdf", "delay_time", "page_load"]] = Field(
        default_factory=list)
    dns: DnsSpec | None = None
    scenario: str = ""
    scenario_title: str = ""
    checks: dict[str, CheckSpec] = Field(default_factory=dict)

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
    checks: dict[str, CheckSpec] = Field(default_factory=dict)


SCENARIO_OVERLAY_KEYS = {"topology", "services", "workload", "monitor", "captures",
                         "duration_s", "seed", "realizer", "switch", "tcp_congestion", "dns",
                         "static_arp"}


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


def load(path: Path, duration_s: float | None = None, only: list[str] | None = None,
         without_dns: bool = False) -> Experiment:
    """Load and validate ``path``: every scenario, or those in ``only``.
    ``without_dns`` drops the dns sections: hosts then name each other by address."""
    path = Path(path)
    try:
        raw, marks = load_with_marks(path)
    except YamlError as exc:
        raise SpecError([str(exc)]) from None
    except OSError as exc:
        raise SpecError([f"{path}: cannot read: {exc.strerror}"]) from None
    if not isinstance(raw, dict):
        raise SpecError([f"{marks[()]}: (top level): a spec is a mapping of keys"])

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
        spec = _resolve(base, str(name), overlay, marks, problems, duration_s)
        if spec is not None:
            resolved[str(name)] = spec
    if problems.items:
        raise SpecError(problems.items)
    return Experiment(path, raw, resolved)


def _resolve(base, name, overlay, marks, problems: _Problems, duration_s) -> ResolvedSpec | None:
    at = ("scenarios", name)
    if not isinstance(overlay, dict):
        problems.add(at, "a scenario is a mapping (title, checks and overlays)")
        return None
    meta = {k: overlay[k] for k in ("title", "checks") if k in overlay}
    try:
        meta_model = ScenarioMeta(**meta)
    except ValidationError as exc:
        _pydantic_problems(exc, problems, at)
        return None
    unknown = set(overlay) - SCENARIO_OVERLAY_KEYS - {"title", "checks"}
    for key in sorted(unknown):
        problems.add((*at, key), f"unknown key (a scenario may override "
                     f"{', '.join(sorted(SCENARIO_OVERLAY_KEYS))})")
    origin: dict = {}
    body = {k: v for k, v in overlay.items() if k in SCENARIO_OVERLAY_KEYS}
    merged = _merge(base, body, (), origin, at)
    merged.update(scenario=name, scenario_title=meta_model.title,
                  checks=meta.get("checks", {}))
    for key in meta:
        origin[(key if key != "title" else "scenario_title",)] = (*at, key)
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
    _check_semantics(spec, scoped)
    problems.items += [p for p in scoped.items if p not in problems.items]
    return spec if not scoped.items else None


def _check_semantics(spec: ResolvedSpec, problems: _Problems) -> None:
    if spec.model not in MODELS:
        problems.add(("model",), f"unknown model {spec.model!r} (have {', '.join(MODELS)})")
    else:
        for check in spec.checks:
            if check not in MODELS[spec.model].CHECKS:
                problems.add(("checks", check), f"the {spec.model} model has no check "
                             f"{check!r} (it has {', '.join(MODELS[spec.model].CHECKS)})")
    topo_at = ("topology",)
    if spec.topology.builder not in builders.BUILDERS:
        problems.add((*topo_at, "builder"), f"unknown builder {spec.topology.builder!r} "
                     f"(have {', '.join(builders.BUILDERS)})")
        return
    for key, value in spec.topology.params.items():
        if key == "link" or key.endswith("_link"):
            if not isinstance(value, dict):
                problems.add((*topo_at, "params", key), "a link is a mapping of parameters")
                continue
            for field in set(value) - {"bw", "delay", "jitter", "loss", "max_queue"}:
                problems.add((*topo_at, "params", key, field), "unknown link parameter")
            try:
                parse_link_params(key, value)
            except LinkParamError as exc:
                problems.add((*topo_at, "params", key, exc.field),
                             str(exc).split(": ", 2)[-1])
    if problems.items:
        return
    try:
        topo = spec.topology.build()
    except (TypeError, ValueError) as exc:
        problems.add((*topo_at, "params"), f"the {spec.topology.builder} builder refused "
                     f"these parameters: {exc}")
        return
    hosts, nodes = set(topo.hosts()), set(topo.nodes())

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
    if spec.workload:
        for index, host in enumerate(spec.workload.hosts):
            known_host(("workload", "hosts", index), host)
        _check_role(spec.workload.role, spec.workload.params, ("workload",), spec, problems)
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
        for where, node in [(("monitor", name, "node"), monitor.node)] + [
                (("monitor", name, "peers", i), p) for i, p in enumerate(monitor.peers)]:
            if node not in nodes:
                problems.add(where, f"node {node!r} does not exist")
    if spec.dns:
        _check_dns(spec, topo, problems)


def _check_dns(spec: ResolvedSpec, topo, problems: _Problems) -> None:
    """Every host the plan names exists, every name belongs to a zone, and the
    zones build into a hierarchy under a root."""
    dns = spec.dns
    hosts = set(topo.hosts())
    named = [(("dns", "resolver"), dns.resolver)]
    for origin, zone in dns.zones.items():
        named += [(("dns", "zones", origin, "servers", server), host)
                  for server, host in zone.servers.items()]
        named += [(("dns", "zones", origin, "updaters", i), host)
                  for i, host in enumerate(zone.updaters)]
    named += [(("dns", "hosts", name), host) for name, host in dns.hosts.items()]
    for where, host in named:
        if host not in hosts:
            problems.add(where, f"host {host!r} does not exist")
    if problems.items:
        return
    plan = dns.plan()
    for section in ("hosts", "aliases", "mail"):
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
    if role not in REGISTRY:
        problems.add((*at, "role"), f"unknown role {role!r} (have {', '.join(REGISTRY)})")
        return
    service = REGISTRY[role]
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
