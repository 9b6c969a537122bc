"""BIND as an authoritative DNS server: the root, a TLD or an organisation.

Its zones are the ones the run's name plan gives its host. With the plan's
``resolution: recursive`` it also resolves, as the textbook's recursive
query does: a name below one of its delegations is asked of the child zone's
servers (with recursion desired), and the answer is passed back up.
"""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from services.base import HostContext, Probe, Role
from services.dns.zonefiles import root_hints, zone_file
from services.templates import render

# 2026-11-27T05:40:01.123Z client @0x7f 10.0.1.3#41234 (gaia.cs.umass.edu):
#   query: gaia.cs.umass.edu IN A -E(0)DC (10.0.3.2)
QUERY_LINE = re.compile(r"^(?P<time>\S+) client @\S+ (?P<client>[\d.]+)#\d+ \(\S+\): "
                        r"query: (?P<name>\S+) IN (?P<type>\S+) (?P<flags>\S+)")


def parse_query_log(text: str) -> list[dict]:
    """Each query the server answered: when (Unix time), from whom, for what,
    and whether it asked for recursion (BIND's ``+`` flag)."""
    queries = []
    for line in text.splitlines():
        match = QUERY_LINE.match(line)
        if match:
            when = datetime.fromisoformat(match["time"].replace("Z", "+00:00"))
            queries.append({"time": when.timestamp(), "client": match["client"],
                            "name": match["name"].rstrip(".").lower() + ".",
                            "type": match["type"], "rd": match["flags"].startswith("+")})
    return queries


class BindAuthoritative(Role):
    role = "dns-authoritative"
    packages = ("bind9",)
    machine_packages = ("dnsutils",)
    packaged_units = ("named.service", "named-resolvconf.service")

    def config(self, ctx: HostContext) -> dict[Path, str]:
        names = ctx.names
        zones = names.served_by(ctx.host)
        zone_files = {z.origin: ctx.path("zones", (z.origin.rstrip(".") or "root") + ".zone")
                      for z in zones}
        chain = ([child for zone in zones for child in names.children(zone.origin)]
                 if names.resolution == "recursive" else [])
        updaters = {z.origin: [ctx.addresses[h] for h in z.updaters] for z in zones}
        # A server that recurses needs root hints unless it is the root: the
        # emulated root's, never BIND's built-in real ones.
        hints = (ctx.path("root.hints") if names.resolution == "recursive"
                 and not any(z.origin == "." for z in zones) else None)
        files = {ctx.path("named.conf"): render("named.conf.j2", ctx=ctx, zones=zones,
                                                 zone_files=zone_files, chain=chain,
                                                 updaters=updaters, hints=hints)}
        if hints:
            files[hints] = root_hints(names)
        for zone in zones:
            files[zone_files[zone.origin]] = zone_file(zone, negative_ttl=names.negative_ttl)
        return files

    def command(self, ctx: HostContext) -> list[str]:
        return ["named", "-4", "-f", "-c", str(ctx.path("named.conf"))]

    def ready(self, ctx: HostContext, probe: Probe) -> bool:
        origin = ctx.names.served_by(ctx.host)[0].origin
        code, out = probe.run(["dig", "+norecurse", "+short", "+time=1", "+tries=1",
                               f"@{ctx.ip}", origin, "SOA"])
        return code == 0 and bool(out.strip())

    def metrics(self, ctx: HostContext) -> dict:
        log = ctx.path("queries.log")
        queries = parse_query_log(log.read_text()) if log.exists() else []
        return {"queries": len(queries), "query_log": queries}
