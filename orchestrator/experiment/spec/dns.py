"""Checks of a spec's DNS plan: hosts, zones and steered names."""
from __future__ import annotations

from orchestrator.experiment.spec.problems import Problems
from orchestrator.experiment.spec.schema import ResolvedSpec
from topologies.names import (
    NamePlanError,
    fqdn,
)


def check_dns(spec: ResolvedSpec, topo, problems: Problems) -> None:
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
        for host in users:
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
