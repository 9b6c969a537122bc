"""The one pass that rewrites a scenario's values into the forms every later
reader expects; the checks of meaning (meaning.py, dns.py) then only report.

- Link parameters in Mb/s and '20ms': the topology's links and an event's
  ``set``, so nothing after reads a raw '1.54Mbit'.
- Host groups and ranges (``peer[1-30]``) expanded to hosts: workloads'
  ``hosts`` and ``per_host``, events' ``hosts`` (a workload's own when none
  are given), monitors' ``peers``, and the hosts of each local DNS server.
- An event's time given as a share of the duration ('50%') in seconds.

A value that cannot be rewritten is a problem at its place. The topology is
built here, once, from the rewritten links."""
from __future__ import annotations

import re

from orchestrator.experiment.spec.hosts import HostNames
from orchestrator.experiment.spec.problems import Problems
from orchestrator.experiment.spec.schema import ResolvedSpec
from topologies import builders
from topologies.params import (
    DIRECTIONS,
    SPEC_LINK_KEYS,
    LinkParamError,
    normalise_change,
    parse_link,
)

SHARE_OF_DURATION = re.compile(r"\s*(-?[0-9]*\.?[0-9]+)\s*%\s*")


def normalise(spec: ResolvedSpec, problems: Problems):
    """Rewrite ``spec`` in place; its topology, or None where it cannot be built."""
    topo_at = ("topology",)
    known = [*builders.BUILDERS, *spec.catalogue.builders]
    if spec.topology.builder not in known:
        problems.add((*topo_at, "builder"), f"unknown builder {spec.topology.builder!r} "
                     f"(have {', '.join(known)})")
        return None
    for key, value in spec.topology.params.items():
        if key == "link" or key.endswith("_link"):
            link = normal_link(value, (*topo_at, "params", key), key, problems)
            if link is not None:
                spec.topology.params[key] = link
    if problems.items:
        return None
    try:
        topo = spec.topology.build()
    except (TypeError, ValueError) as exc:
        problems.add((*topo_at, "params", *getattr(exc, "where", ())),
                     f"the {spec.topology.builder} builder refused these parameters: {exc}")
        return None
    names = HostNames(topo)
    for name, workload in spec.all_workloads.items():
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
                per_host[host] = {**per_host.get(host, {}), **params}
        workload.per_host = per_host
    workloads = spec.all_workloads
    for index, event in enumerate(spec.events):
        _normal_event(spec, ("events", index), event, workloads, names, problems)
    nodes = set(topo.nodes())
    for name, monitor in spec.monitor.items():
        monitor.peers = names.expand(monitor.peers, ("monitor", name, "peers"), problems,
                                     among=nodes)
    if spec.dns:
        for resolver, users in spec.dns.resolvers.items():
            spec.dns.resolvers[resolver] = names.expand(users, ("dns", "resolvers", resolver),
                                                        problems)
    return topo


def _normal_event(spec, at: tuple, event, workloads: dict, names: HostNames,
                  problems: Problems) -> None:
    if isinstance(event.at, str):
        match = SHARE_OF_DURATION.fullmatch(event.at)
        if match:
            event.at = float(match[1]) / 100 * spec.duration_s
        else:
            problems.add((*at, "at"), f"{event.at!r} is not seconds or a share of the "
                         "duration such as '50%'")
    if event.link is not None and event.set is not None:
        a, b = event.link
        if normal_link(event.set, (*at, "set"), f"{a}-{b}", problems) is not None:
            event.set = normalise_change(f"{a}-{b}", event.set)
    if event.workload is not None and event.workload in workloads:
        event.hosts = names.expand(event.hosts, (*at, "hosts"), problems) or \
            list(workloads[event.workload].hosts)


def normal_link(value, at: tuple, key: str, problems: Problems) -> dict | None:
    """A link's parameters normalised (Mb/s, '20ms'); None, with its
    problems, where they are not a link's."""
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
