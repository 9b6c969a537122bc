"""Topology builders: functions from parameters to an AppTopo (pure data).

Link arguments are dicts of link parameters, e.g. ``{"bw": 1.54, "delay": "10ms"}``.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from topologies.base import AddressPlanError, AppTopo


class BuilderError(ValueError):
    """A builder's parameter is wrong; ``where`` is its path below the params."""

    def __init__(self, where: tuple, message: str):
        self.where = where
        super().__init__(message)


def reserve_subnet(topo: AppTopo, where: tuple, cidr: str | None, addresses: int):
    """The subnet a spec names at ``where`` (None: the plan picks one later)."""
    if cidr is None:
        return None
    try:
        return topo.addresses.reserve(cidr, addresses)
    except AddressPlanError as exc:
        raise BuilderError(where, str(exc)) from None


def fresh_subnet(topo: AppTopo, where: tuple, addresses: int):
    """The plan's next subnet for ``addresses``, its refusal named at ``where``."""
    try:
        return topo.addresses.lan(addresses)
    except AddressPlanError as exc:
        raise BuilderError(where, str(exc)) from None


def two_hosts(link: dict | None = None, servers: tuple[str, ...] = ()) -> AppTopo:
    """h1 -- s1 -- h2 with ``link`` on h1--s1 (the calibration topology):
    its RTT is twice the link's delay, as with netem on both of its ends.
    ``servers`` (a DNS hierarchy, say) join h2 on s1, over plain links."""
    topo = AppTopo()
    topo.addSwitch("s1")
    topo.addHost("h1", ip="10.0.0.1/24")
    topo.addHost("h2", ip="10.0.0.2/24")
    topo.addLink("h1", "s1", **(link or {}))
    topo.addLink("s1", "h2")
    for index, server in enumerate(servers, start=3):
        topo.addHost(server, ip=f"10.0.0.{index}/24")
        topo.addLink("s1", server)
    return topo.finalize()


def star_lan(hosts: int, link: dict | None = None, prefix: str = "h") -> AppTopo:
    """``hosts`` hosts on one switch, every host link alike."""
    if hosts < 1:
        raise ValueError(f"star_lan: hosts must be >= 1, got {hosts}")
    topo = AppTopo()
    topo.addLan("s1", [f"{prefix}{i}" for i in range(1, hosts + 1)], host_link=link)
    return topo.finalize()


def institutional(clients: int, lan_link: dict, access_link: dict,
                  internet_link: dict, servers: tuple[str, ...] = ("origin",),
                  lan_servers: tuple[str, ...] = (), client_prefix: str = "client",
                  server_links: dict[str, dict] | None = None,
                  lan_subnet: str | None = None) -> AppTopo:
    """The textbook's institutional network: clients (and ``lan_servers``,
    e.g. a web cache) on a LAN switch behind router ``gw`` (in ``lan_subnet``
    if given), the access link gw--``isp``, and each of ``servers`` behind
    ``isp`` over ``internet_link`` ("the public Internet"), or over its own
    link in ``server_links``."""
    server_links = server_links or {}
    for name in server_links:
        if name not in servers:
            raise BuilderError(("server_links", name), f"{name!r} is not one of the servers "
                               f"({', '.join(servers)})")
    if clients < 1:
        raise ValueError(f"institutional: clients must be >= 1, got {clients}")
    topo = AppTopo()
    topo.addRouter("gw")
    topo.addRouter("isp")
    client_names = topo.addGroup("clients", [f"{client_prefix}{i}"
                                             for i in range(1, clients + 1)])
    on_lan = client_names + list(lan_servers)
    subnet = (reserve_subnet(topo, ("lan_subnet",), lan_subnet, len(on_lan) + 1)
              or fresh_subnet(topo, ("clients",), len(on_lan) + 1))
    topo.addLan("lan", on_lan, gateway="gw", host_link=lan_link, subnet=subnet)
    topo.connectRouters("gw", "isp", **access_link)
    for server in servers:
        topo.addServer(server, "isp", **server_links.get(server, internet_link))
    return topo.finalize()


@dataclass
class AccessNetwork:
    """An access network of ``hosts`` hosts behind its own router."""

    name: str
    hosts: int
    access_link: dict = field(default_factory=dict)
    lan_link: dict = field(default_factory=dict)
    subnet: str | None = None


def core_internet(access_networks: list[AccessNetwork], core_routers: int = 3,
                  core_link: dict | None = None) -> AppTopo:
    """Core routers r1..rN in a chain joined by ``core_link``; access network
    k hangs off core router k mod N through its router ``<name>-gw``."""
    if core_routers < 1:
        raise ValueError(f"core_internet: core_routers must be >= 1, got {core_routers}")
    topo = AppTopo()
    cores = [f"r{i}" for i in range(1, core_routers + 1)]
    for router in cores:
        topo.addRouter(router)
    for left, right in itertools.pairwise(cores):
        topo.connectRouters(left, right, **(core_link or {}))
    subnets = {net.name: reserve_subnet(topo, ("access_networks", net.name, "subnet"),
                                        net.subnet, net.hosts + 1)
               for net in access_networks}
    for index, net in enumerate(access_networks):
        gateway = f"{net.name}-gw"
        topo.addRouter(gateway)
        subnet = (subnets[net.name]
                  or fresh_subnet(topo, ("access_networks", net.name, "hosts"), net.hosts + 1))
        topo.addLan(f"{net.name}-sw",
                    [f"{net.name}{i}" for i in range(1, net.hosts + 1)],
                    gateway=gateway, host_link=net.lan_link, subnet=subnet)
        topo.connectRouters(gateway, cores[index % core_routers], **net.access_link)
    return topo.finalize()


def internet(sites: dict[str, dict]) -> AppTopo:
    """Sites around one core router: site ``S`` is router ``S-gw`` joined to
    ``core`` by the site's ``access_link``, with its ``hosts`` on a LAN behind
    it (``lan_link`` each). A host's delay to any other site is its two sites'
    access-link delays, so every path's RTT is plain to read off the spec:

        sites: {nyu: {access_link: {delay: 5ms}, hosts: [client, local-dns]}}

    A site may also number its hosts: ``count: 25, prefix: east`` adds
    east1..east25 (beside any ``hosts``). A spec may name all of a site's
    hosts by the site's name (unless a host has that name). A site's LAN is a
    /24, or larger if its hosts need it, or the ``subnet`` it names.
    """
    if not sites:
        raise ValueError("internet: give at least one site")
    topo = AppTopo()
    topo.addRouter("core")
    members = {}
    for site, spec in sites.items():
        unknown = set(spec) - {"hosts", "count", "prefix", "access_link", "lan_link",
                               "subnet"}
        if unknown:
            raise BuilderError(("sites", site, sorted(unknown)[0]),
                               f"internet: site {site!r} has unknown keys {sorted(unknown)} "
                               "(a site has hosts and/or count and prefix, access_link, "
                               "lan_link and subnet)")
        hosts = list(spec.get("hosts") or [])
        if "count" in spec:
            hosts += group_hosts(site, {"count": spec["count"],
                                        "prefix": spec.get("prefix") or site})
        if not hosts:
            raise ValueError(f"internet: site {site!r} has no hosts")
        members[site] = hosts
    subnets = {site: reserve_subnet(topo, ("sites", site, "subnet"), spec.get("subnet"),
                                    len(members[site]) + 1)
               for site, spec in sites.items()}
    for site, spec in sites.items():
        hosts = members[site]
        gateway = f"{site}-gw"
        topo.addRouter(gateway)
        subnet = subnets[site] or fresh_subnet(topo, ("sites", site), len(hosts) + 1)
        topo.addLan(f"{site}-sw", hosts, gateway=gateway, host_link=spec.get("lan_link"),
                    subnet=subnet)
        topo.connectRouters(gateway, "core", **spec.get("access_link", {}))
        if site not in topo.nodes():
            topo.addGroup(site, hosts)
    return topo.finalize()


def group_hosts(name: str, group: dict) -> list[str]:
    """A group's host names: ``hosts`` as listed, or ``count`` of them named
    ``prefix``1..N (the prefix defaults to the group's name less a plural s)."""
    at = ("groups", name)
    for key in sorted(set(group) - {"count", "prefix", "hosts", "link"}):
        raise BuilderError((*at, key), f"group {name!r}: unknown key {key!r} (a group has "
                           "count and prefix, or hosts; and link)")
    if ("count" in group) == ("hosts" in group):
        raise BuilderError(at, f"group {name!r}: give count or hosts, not both or neither")
    if "hosts" in group:
        return list(group["hosts"])
    count = group["count"]
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise BuilderError((*at, "count"), f"group {name!r}: count must be a whole number "
                           f">= 1, got {count!r}")
    prefix = group.get("prefix") or (name[:-1] if name.endswith("s") else name)
    return [f"{prefix}{i}" for i in range(1, count + 1)]


def star(groups: dict[str, dict], subnet: str | None = None) -> AppTopo:
    """Groups of hosts on one switch ``s1``, each group with its own link:

        groups: {tracker: {hosts: [tracker]},
                 peers: {count: 30, link: {up: {bw: 1}, down: {bw: 10}}}}

    gives tracker and peer1..peer30; ``peers`` names them all in a spec. The
    hosts share one subnet: a /24, or the smallest block that holds them, or
    ``subnet`` (e.g. 10.8.0.0/22)."""
    if not groups:
        raise ValueError("star: give at least one group")
    topo = AppTopo()
    members = {name: group_hosts(name, group or {}) for name, group in groups.items()}
    total = sum(len(hosts) for hosts in members.values())
    lan = (reserve_subnet(topo, ("subnet",), subnet, total)
           or fresh_subnet(topo, ("groups",), total))
    addresses = lan.hosts()
    topo.addSwitch("s1")
    for name, hosts in members.items():
        for host in hosts:
            topo.addHost(host, ip=f"{next(addresses)}/{lan.prefixlen}")
            topo.addLink(host, "s1", **((groups[name] or {}).get("link") or {}))
        if name not in hosts:
            topo.addGroup(name, hosts)
    return topo.finalize()


BUILDERS = {"two_hosts": two_hosts, "star_lan": star_lan, "star": star,
            "institutional": institutional, "internet": internet}


def build(builder: str, params: dict, own: dict | None = None) -> AppTopo:
    """The topology a spec's ``topology`` section names: a built-in builder,
    or one of ``own`` (an experiment's, as Mininet's ``--custom`` adds topos)."""
    return {**BUILDERS, **(own or {})}[builder](**params)
