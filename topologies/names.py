"""A DNS name plan (pure data): zones, the hosts that serve them, and the
records they hold. The DNS roles write them out as their servers read them
(services/dns/zonefiles.py).

- every named host gets an A record in the deepest zone that contains its name;
- a zone's name servers appear as NS records at its apex, and as NS records in
  its parent (the delegation), with glue A records where the name server's
  name lies inside the delegated zone or its parent;
- aliases become CNAME records and mail domains MX records;
- a steered name (a CDN's) is answered per asker: the edges nearest the
  asking local DNS server first, the first one whose health check passes
  (PowerDNS's LUA record does it);
- a zone may start unregistered: served, but not yet delegated by its parent.

A name that belongs to no zone is an error that says which name.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_TTL_S = 3600
# How long a "no such name" is cached (the SOA minimum): short, so that a name
# registered during a run resolves soon after an earlier failed lookup.
DEFAULT_NEGATIVE_TTL_S = 5
# How servers resolve: "iterated" (the local server asks each level and gets
# referrals) or "recursive" (each level asks the next on the asker's behalf).
RESOLUTIONS = ("iterated", "recursive")


class NamePlanError(ValueError):
    """The plan cannot be turned into zones as given."""


def fqdn(name: str) -> str:
    name = name.strip().lower()
    return name if name.endswith(".") else name + "."


def within(name: str, zone: str) -> bool:
    """Is ``name`` at or below ``zone``? Both fully qualified."""
    return zone == "." or name == zone or name.endswith("." + zone)


def parent_of(zone: str) -> str | None:
    if zone == ".":
        return None
    _, _, rest = zone.partition(".")
    return rest or "."


@dataclass(frozen=True)
class Record:
    name: str
    type: str
    value: str
    ttl: int = DEFAULT_TTL_S


@dataclass(frozen=True)
class SteeredAnswer:
    """A steered name's answer: for the first group whose netmasks hold the
    asker (its address, or the subnet it forwards in EDNS Client Subnet),
    the first of its edge addresses, in order, that answers ``check_url``;
    ``fallback``'s for any other asker."""

    name: str
    ttl: int
    check_url: str
    groups: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]   # (netmasks, edges)
    fallback: tuple[str, ...]


@dataclass
class Zone:
    origin: str
    servers: dict[str, str]        # name server name -> the host that runs it
    ttl: int = DEFAULT_TTL_S
    parent: str | None = None      # the nearest enclosing zone of the plan
    # An unregistered zone is served but not yet delegated: its delegation
    # (NS and glue) waits to be inserted into the parent during a run.
    registered: bool = True
    updaters: list[str] = field(default_factory=list)  # hosts that may add records
    records: list[Record] = field(default_factory=list)
    steered: list[SteeredAnswer] = field(default_factory=list)
    delegation: list[Record] = field(default_factory=list)
    server_addresses: dict[str, str] = field(default_factory=dict)  # NS name -> address


@dataclass
class ZoneSpec:
    servers: dict[str, str]
    ttl: int | None = None
    registered: bool = True
    updaters: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Steering:
    """A name answered per asker: ``askers`` maps each local DNS server's
    host to the hosts that use it; each such group gets ``edges`` (hosts)
    nearest its server first. An edge is healthy while ``check_path`` answers
    over HTTP."""

    edges: tuple[str, ...]
    askers: dict[str, tuple[str, ...]]
    check_path: str = "/"
    ttl: int = DEFAULT_TTL_S


@dataclass
class NamePlan:
    ttl: int = DEFAULT_TTL_S
    negative_ttl: int = DEFAULT_NEGATIVE_TTL_S
    resolution: str = "iterated"
    zones: dict[str, ZoneSpec] = field(default_factory=dict)
    hosts: dict[str, str] = field(default_factory=dict)     # name -> host
    aliases: dict[str, str] = field(default_factory=dict)   # alias -> canonical name
    mail: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    steered: dict[str, Steering] = field(default_factory=dict)

    def add_zone(self, origin: str, servers: dict[str, str], ttl: int | None = None,
                 registered: bool = True, updaters: list[str] | None = None) -> None:
        if not servers:
            raise NamePlanError(f"zone {fqdn(origin)} needs at least one name server")
        if not registered and fqdn(origin) == ".":
            raise NamePlanError("the root zone is always registered")
        self.zones[fqdn(origin)] = ZoneSpec({fqdn(ns): host for ns, host in servers.items()},
                                            ttl, registered, list(updaters or []))

    def add_host(self, name: str, host: str) -> None:
        self.hosts[fqdn(name)] = host

    def add_alias(self, alias: str, canonical: str) -> None:
        self.aliases[fqdn(alias)] = fqdn(canonical)

    def add_mx(self, domain: str, priority: int, exchanger: str) -> None:
        self.mail.setdefault(fqdn(domain), []).append((priority, fqdn(exchanger)))

    def add_steered(self, name: str, steering: Steering) -> None:
        self.steered[fqdn(name)] = steering

    def zone_of(self, name: str) -> str:
        """The deepest zone below the root that holds ``name`` (the root zone
        holds only delegations, as the Internet's does)."""
        holders = [z for z in self.zones if z != "." and within(name, z)]
        if not holders:
            raise NamePlanError(f"name {name} belongs to no zone of the plan "
                                f"(zones below the root: "
                                f"{', '.join(sorted(set(self.zones) - {'.'})) or 'none'})")
        return max(holders, key=lambda z: z.count("."))

    def build(self, addresses: dict[str, str],
              distance: Callable[[str, str], float] | None = None) -> Names:
        """Every zone with its records, given each host's address and, for
        steered names, the distance between two hosts (edges in their given
        order without it)."""
        def address(host: str, name: str) -> str:
            if host not in addresses:
                raise NamePlanError(f"name {name} is on host {host!r}, which has no address")
            return addresses[host]

        zones = {origin: Zone(origin, spec.servers, spec.ttl or self.ttl,
                              registered=spec.registered, updaters=spec.updaters)
                 for origin, spec in self.zones.items()}
        for origin, zone in zones.items():
            for ns, host in zone.servers.items():
                zone.server_addresses[ns] = address(host, ns)
                zone.records.append(Record(origin, "NS", ns, zone.ttl))
                if within(ns, origin):
                    zone.records.append(Record(ns, "A", zone.server_addresses[ns], zone.ttl))
            parent = parent_of(origin)
            while parent is not None and parent not in zones:
                parent = parent_of(parent)
            if parent is None:
                if origin != ".":
                    raise NamePlanError(f"zone {origin} has no parent zone in the plan")
                continue
            zone.parent = parent
            # The parent's copy of the delegation lives as long as the parent's records.
            ttl = zones[parent].ttl
            for ns in zone.servers:
                zone.delegation.append(Record(origin, "NS", ns, ttl))
                if within(ns, origin) or within(ns, parent):
                    zone.delegation.append(Record(ns, "A", zone.server_addresses[ns], ttl))
            if zone.registered:
                zones[parent].records += zone.delegation
        for name, host in self.hosts.items():
            zone = zones[self.zone_of(name)]
            zone.records.append(Record(name, "A", address(host, name), zone.ttl))
        for alias, canonical in self.aliases.items():
            zone = zones[self.zone_of(alias)]
            zone.records.append(Record(alias, "CNAME", canonical, zone.ttl))
        for domain, exchangers in self.mail.items():
            zone = zones[self.zone_of(domain)]
            for priority, exchanger in exchangers:
                zone.records.append(Record(domain, "MX", f"{priority} {exchanger}", zone.ttl))
        orders = {}
        for name, steering in self.steered.items():
            zone = zones[self.zone_of(name)]
            orders[name] = {
                server: sorted(steering.edges, key=lambda e, s=server: (
                    distance(s, e) if distance else 0.0, steering.edges.index(e)))
                for server in steering.askers}
            groups = tuple((tuple(f"{address(h, name)}/32" for h in (server, *members)),
                            tuple(address(e, name) for e in orders[name][server]))
                           for server, members in steering.askers.items())
            zone.steered.append(SteeredAnswer(
                name, steering.ttl, f"http://{name.rstrip('.')}{steering.check_path}", groups,
                tuple(address(e, name) for e in steering.edges)))
        for zone in zones.values():
            zone.records = sorted(set(zone.records), key=lambda r: (r.name, r.type, r.value))
        if self.resolution not in RESOLUTIONS:
            raise NamePlanError(f"resolution {self.resolution!r} is not one of "
                                f"{', '.join(RESOLUTIONS)}")
        return Names(zones, dict(self.hosts), dict(self.aliases), self.negative_ttl,
                     self.resolution, orders)


@dataclass
class Names:
    """A built plan: the zones, and what a host or a model asks of them."""

    zones: dict[str, Zone]
    hosts: dict[str, str]          # name -> host
    aliases: dict[str, str]
    negative_ttl: int = DEFAULT_NEGATIVE_TTL_S
    resolution: str = "iterated"
    # steered name -> local DNS server's host -> its edges, nearest first
    edge_orders: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def served_by(self, host: str) -> list[Zone]:
        return [z for z in self.zones.values() if host in z.servers.values()]

    def steers(self, zone: Zone) -> bool:
        """Does the zone hold a steered name?"""
        return bool(zone.steered)

    def children(self, origin: str) -> list[Zone]:
        """The registered zones delegated from ``origin``."""
        return [z for z in self.zones.values() if z.parent == origin and z.registered]

    def root_servers(self) -> dict[str, str]:
        """Name server name -> address of the plan's root servers: the only
        hints a resolver in the emulation may have."""
        if "." not in self.zones:
            raise NamePlanError("the plan has no root zone, so a resolver has no hints")
        return dict(self.zones["."].server_addresses)

    def name_of(self, host: str) -> str | None:
        """The first name the plan gives ``host``, without the final dot."""
        return next((n.rstrip(".") for n, h in self.hosts.items() if h == host), None)

    def canonical(self, name: str) -> str:
        """``name`` with its aliases followed (CNAME by CNAME)."""
        name = fqdn(name)
        for _ in range(len(self.aliases) + 1):
            if name not in self.aliases:
                return name
            name = self.aliases[name]
        raise NamePlanError(f"aliases of {name} form a loop")

    def lookup(self, name: str, rtype: str) -> list[str]:
        """The answer a correct resolver gives, from the plan itself: record
        values (CNAMEs followed for other types), sorted; [] for no data."""
        name = fqdn(name)
        for _ in range(len(self.aliases) + 1):
            zone = next((z for z in sorted(self.zones.values(), key=lambda z: -z.origin.count("."))
                         if z.origin != "." and within(name, z.origin)), None)
            if zone is None:
                return []
            values = sorted(r.value for r in zone.records if r.name == name and r.type == rtype)
            canonical = self.aliases.get(name)
            if values or canonical is None or rtype == "CNAME":
                return values
            name = canonical
        raise NamePlanError(f"aliases of {name} form a loop")
