"""A name plan's zones written as DNS servers read them: zone files in
master-file format (BIND; PowerDNS's bind backend, with LUA records for
steered names) and a resolver's root hints."""
from __future__ import annotations

from topologies.names import DEFAULT_NEGATIVE_TTL_S, Names, Record, SteeredAnswer, Zone

# Root hints are read at start and refreshed from the root itself.
ROOT_HINT_TTL_S = 3600000


def record_line(record: Record) -> str:
    return f"{record.name}\t{record.ttl}\tIN\t{record.type}\t{record.value}"


def lua_steering(answer: SteeredAnswer) -> str:
    """A PowerDNS LUA record's script for a steered name. With every edge
    down, PowerDNS answers the first."""
    def ordered(edges):
        return "{" + ", ".join("{'" + e + "'}" for e in edges) + "}"
    url = answer.check_url
    branches = [f"{'if' if i == 0 else 'elseif'} netmask({{{', '.join(repr(n) for n in nets)}}})"
                f" then return ifurlup('{url}', {ordered(edges)})"
                for i, (nets, edges) in enumerate(answer.groups)]
    last = f"return ifurlup('{url}', {ordered(answer.fallback)})"
    return ";" + (" ".join(branches) + f" else {last} end" if branches else last)


def lua_record(answer: SteeredAnswer) -> Record:
    return Record(answer.name, "LUA", f'A "{lua_steering(answer)}"', answer.ttl)


def zone_file(zone: Zone, serial: int = 1, negative_ttl: int = DEFAULT_NEGATIVE_TTL_S) -> str:
    """The zone in master-file format (as BIND and PowerDNS read it), its
    steered names as LUA records. The SOA's last field is how long resolvers
    cache a "no such name"."""
    primary = sorted(zone.servers)[0]
    contact = "hostmaster." + (zone.origin if zone.origin != "." else "")
    lines = [f"$ORIGIN {zone.origin}", f"$TTL {zone.ttl}",
             f"{zone.origin}\t{zone.ttl}\tIN\tSOA\t{primary} {contact} "
             f"{serial} 3600 900 604800 {negative_ttl}"]
    records = sorted([*zone.records, *map(lua_record, zone.steered)],
                     key=lambda r: (r.name, r.type, r.value))
    lines += [record_line(record) for record in records]
    return "\n".join(lines) + "\n"


def root_hints(names: Names) -> str:
    """A resolver's root hints: the plan's root servers, and nothing real."""
    roots = names.root_servers()
    lines = [f".\t{ROOT_HINT_TTL_S}\tIN\tNS\t{name}" for name in sorted(roots)]
    lines += [f"{name}\t{ROOT_HINT_TTL_S}\tIN\tA\t{address}"
              for name, address in sorted(roots.items())]
    return "\n".join(lines) + "\n"
