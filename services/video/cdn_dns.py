"""The CDN's authoritative DNS: PowerDNS (Debian's pdns-server with its
bind backend) serving its host's zones from zone files, a steered name as a
LUA record (services.dns.zonefiles.lua_steering): each local DNS server is sent
its nearest edge that passes the health check, and health checks run every
``HEALTH_CHECK_INTERVAL_S``.

Why PowerDNS: it is what production CDNs and GSLBs run for this, and one
record does both jobs: ``netmask()`` picks by the asking resolver (or the
subnet it forwards in EDNS Client Subnet) and ``ifurlup()`` health-checks
the edges itself. BIND would pick by views, but knows nothing of health: a
separate checker would have to rewrite its zones.

Measured with PowerDNS 4.7.3: ``ifurlup`` takes ordered sets and answers the
first set with an edge up; ``ifportup`` takes only a flat list. A name's
first query starts its checks and, as no check has run yet, is answered with
any edge at random: so the server starts after the edges it checks, asks for
its steered names itself, and is ready once it has logged a verdict (up or
down) on every edge and answers its own host with that host's nearest edge. PowerDNS asks a real
name for its security status unless ``security-poll-suffix`` is empty: here
it is.
"""
from __future__ import annotations

import re
from pathlib import Path

from services.base import HostContext, Probe, Role
from services.dns.zonefiles import zone_file

# How often PowerDNS checks each edge, and how long a check unused lives on.
HEALTH_CHECK_INTERVAL_S = 1
HEALTH_CHECK_EXPIRY_S = 3600
# LUA record monitoring declaring 10.0.1.9 UP for URL http://a1105.kingcdn.com/health!
# (at loglevel 6; "Lua" in some versions)
VERDICT_LINE = re.compile(r"lua record monitoring declaring \[?(?P<edge>\d+(?:\.\d+){3})\S* "
                          r"(?:UP|DOWN) for URL", re.IGNORECASE)
# Remote 10.0.1.2 wants 'a1105.kingcdn.com|A', do = 0, bufsize = 1232: packetcache MISS
QUERY_LINE = re.compile(r"Remote (?P<client>[\d.]+) wants '(?P<name>[^|']+)\|(?P<type>\w+)'")


def pdns_conf(home: Path, ip: str) -> str:
    return "\n".join([
        "launch=bind", f"bind-config={home}/named.conf", f"local-address={ip}",
        "local-port=53", f"socket-dir={home}", "guardian=no", "daemon=no",
        "disable-syslog=yes", "log-dns-queries=yes", "loglevel=6",   # 6: health verdicts
        "enable-lua-records=yes",
        f"lua-health-checks-interval={HEALTH_CHECK_INTERVAL_S}",
        f"lua-health-checks-expire-delay={HEALTH_CHECK_EXPIRY_S}",
        # Every answer is worked out afresh: a cached one would outlive a
        # failed edge by the cache's lifetime.
        "query-cache-ttl=0", "cache-ttl=0", "negquery-cache-ttl=0",
        "security-poll-suffix=", "setuid=", "setgid=", "webserver=no", "api=no",
        "edns-subnet-processing=yes", ""])


class PowerDnsAuthoritative(Role):
    role = "dns-cdn"
    packages = ("pdns-server", "pdns-backend-bind")
    machine_packages = ("dnsutils",)
    packaged_units = ("pdns.service",)
    runtime_home = True     # its control socket lives in its home

    def config(self, ctx: HostContext) -> dict[Path, str]:
        zones = ctx.names.served_by(ctx.host)
        files = {ctx.path("pdns.conf"): pdns_conf(ctx.home, ctx.ip)}
        entries = []
        for zone in zones:
            path = ctx.path("zones", (zone.origin.rstrip(".") or "root") + ".zone")
            files[path] = zone_file(zone, negative_ttl=ctx.names.negative_ttl)
            entries.append(f'zone "{zone.origin}" {{ type master; file "{path}"; }};')
        files[ctx.path("named.conf")] = "\n".join(entries) + "\n"
        return files

    def command(self, ctx: HostContext) -> list[str]:
        return ["pdns_server", f"--config-dir={ctx.home}"]

    def ready(self, ctx: HostContext, probe: Probe) -> bool:
        zones = ctx.names.served_by(ctx.host)
        if not self.answer(ctx, probe, zones[0].origin, "SOA"):
            return False
        steered = [answer for zone in zones for answer in zone.steered]
        for answer in steered:    # a name's first query starts its health checks
            self.answer(ctx, probe, answer.name, "A")
        judged = self.judged_edges(ctx)
        if not all(set(answer.fallback) <= judged for answer in steered):
            return False
        nearest = {answer.name: ctx.addresses[ctx.names.edge_orders[answer.name]
                                              [ctx.resolver][0]] for answer in steered}
        return all(self.answer(ctx, probe, name, "A") == [edge]
                   for name, edge in nearest.items())

    @staticmethod
    def judged_edges(ctx: HostContext) -> set[str]:
        """The edge addresses its health checks have declared up or down."""
        log = ctx.path("stderr.log")
        lines = log.read_text().splitlines() if log.exists() else []
        return {m["edge"] for m in map(VERDICT_LINE.search, lines) if m}

    @staticmethod
    def answer(ctx: HostContext, probe: Probe, name: str, rtype: str) -> list[str]:
        code, out = probe.run(["dig", "+norecurse", "+short", "+time=1", "+tries=1",
                               f"@{ctx.ip}", name, rtype])
        return out.split() if code == 0 else []

    def metrics(self, ctx: HostContext) -> dict:
        """Who asked for what (from PowerDNS's query log)."""
        log = ctx.path("stderr.log")
        queries = [{"client": m["client"], "name": m["name"].lower().rstrip(".") + ".",
                    "type": m["type"]}
                   for m in map(QUERY_LINE.search, log.read_text().splitlines()
                                if log.exists() else []) if m]
        return {"queries": len(queries), "query_log": queries}
