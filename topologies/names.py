"""A DNS name plan (pure data): zones, the hosts that serve them, and the
records they hold, turned into zone files.

- every named host gets an A record in the deepest zone that contains its name;
- a zone's name servers appear as NS records at its apex, and as NS records in
  its parent (the delegation), with glue A records where the name server's
  name lies inside the delegated zone or its parent;
- aliases become CNAME records and mail domains MX records.

A name that belongs to no zone is an error that says which name.
"""
from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_TTL_S = 3600


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

    def line(self) -> str:
        return f"{self.name}\t{self.ttl}\tIN\t{self.type}\t{self.value}"


@dataclass
class Zone:
    origin: str
    servers: dict[str, str]        # name server name -> the host that runs it
    records: list[Record] = field(default_factory=list)


@dataclass
class NamePlan:
    ttl: int = DEFAULT_TTL_S
    zones: dict[str, dict[str, str]] = field(default_factory=dict)
    hosts: dict[str, str] = field(default_factory=dict)     # name -> host
    aliases: dict[str, str] = field(default_factory=dict)   # alias -> canonical name
    mail: dict[str, list[tuple[int, str]]] = field(default_factory=dict)

    def add_zone(self, origin: str, servers: dict[str, str]) -> None:
        if not servers:
            raise NamePlanError(f"zone {fqdn(origin)} needs at least one name server")
        self.zones[fqdn(origin)] = {fqdn(ns): host for ns, host in servers.items()}

    def add_host(self, name: str, host: str) -> None:
        self.hosts[fqdn(name)] = host

    def add_alias(self, alias: str, canonical: str) -> None:
        self.aliases[fqdn(alias)] = fqdn(canonical)

    def add_mx(self, domain: str, priority: int, exchanger: str) -> None:
        self.mail.setdefault(fqdn(domain), []).append((priority, fqdn(exchanger)))

    def zone_of(self, name: str) -> str:
        """The deepest zone below the root that holds ``name`` (the root zone
        holds only delegations, as the Internet's does)."""
        holders = [z for z in self.zones if z != "." and within(name, z)]
        if not holders:
            raise NamePlanError(f"name {name} belongs to no zone of the plan "
                                f"(zones below the root: "
                                f"{', '.join(sorted(set(self.zones) - {'.'})) or 'none'})")
        return max(holders, key=lambda z: z.count("."))

    def build(self, addresses: dict[str, str]) -> dict[str, Zone]:
        """Every zone with its records, given each host's address."""
        def address(host: str, name: str) -> str:
            if host not in addresses:
                raise NamePlanError(f"name {name} is on host {host!r}, which has no address")
            return addresses[host]

        zones = {origin: Zone(origin, servers) for origin, servers in self.zones.items()}
        for origin, zone in zones.items():
            for ns, host in zone.servers.items():
                zone.records.append(Record(origin, "NS", ns, self.ttl))
                if within(ns, origin):
                    zone.records.append(Record(ns, "A", address(host, ns), self.ttl))
            parent = parent_of(origin)
            while parent is not None and parent not in zones:
                parent = parent_of(parent)
            if parent is None:
                if origin != ".":
                    raise NamePlanError(f"zone {origin} has no parent zone in the plan")
                continue
            for ns, host in zone.servers.items():
                zones[parent].records.append(Record(origin, "NS", ns, self.ttl))
                if within(ns, origin) or within(ns, parent):
                    zones[parent].records.append(Record(ns, "A", address(host, ns), self.ttl))
        for name, host in self.hosts.items():
            zones[self.zone_of(name)].records.append(
                Record(name, "A", address(host, name), self.ttl))
        for alias, canonical in self.aliases.items():
            zones[self.zone_of(alias)].records.append(Record(alias, "CNAME", canonical, self.ttl))
        for domain, exchangers in self.mail.items():
            for priority, exchanger in exchangers:
                zones[self.zone_of(domain)].records.append(
                    Record(domain, "MX", f"{priority} {exchanger}", self.ttl))
        for zone in zones.values():
            zone.records = sorted(set(zone.records), key=lambda r: (r.name, r.type, r.value))
        return zones


def zone_file(zone: Zone, serial: int = 1) -> str:
    """The zone in master-file format (as NSD and BIND read it)."""
    primary = sorted(zone.servers)[0]
    contact = "hostmaster." + (zone.origin if zone.origin != "." else "")
    lines = [f"$ORIGIN {zone.origin}", f"$TTL {DEFAULT_TTL_S}",
             f"{zone.origin}\t{DEFAULT_TTL_S}\tIN\tSOA\t{primary} {contact} "
             f"{serial} 3600 900 604800 60"]
    lines += [record.line() for record in zone.records]
    return "\n".join(lines) + "\n"
