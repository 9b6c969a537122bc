"""Unbound as the local DNS server: a caching resolver whose only root hints
are the emulated root's. It iterates (root, TLD, authoritative); with the
plan's ``resolution: recursive`` it hands each query to the root instead."""
from __future__ import annotations

import re
from pathlib import Path

from services.base import HostContext, Probe, Role
from services.dns.zonefiles import root_hints
from services.templates import render

# [1764222001] unbound[1234:0] info: 10.0.1.2 gaia.cs.umass.edu. A IN
QUERY_LINE = re.compile(r"^\[(?P<time>\d+)\] unbound\[[\d:]+\] info: (?P<client>[\d.]+) "
                        r"(?P<name>\S+) (?P<type>\S+) IN$")
# How long to wait for a server not heard from before: above the longest RTT an
# emulated path is meant to have (Unbound's default, 376 ms, is not).
UNKNOWN_SERVER_TIMEOUT_MS = 5000


class UnboundResolver(Role):
    role = "dns-resolver"
    packages = ("unbound",)
    machine_packages = ("dnsutils",)
    packaged_units = ("unbound.service", "unbound-resolvconf.service")

    def config(self, ctx: HostContext) -> dict[Path, str]:
        roots = ctx.names.root_servers()
        return {
            ctx.path("unbound.conf"): render(
                "unbound.conf.j2", ctx=ctx, roots=sorted(roots.values()),
                forward_to_root=ctx.names.resolution == "recursive",
                unknown_server_ms=UNKNOWN_SERVER_TIMEOUT_MS),
            ctx.path("root.hints"): root_hints(ctx.names),
        }

    def command(self, ctx: HostContext) -> list[str]:
        return ["unbound", "-d", "-c", str(ctx.path("unbound.conf"))]

    def ready(self, ctx: HostContext, probe: Probe) -> bool:
        # The root's NS set: answering it primes the root hints, as every
        # resolver does before its first lookup, so lookups start primed.
        code, out = probe.run(["dig", "+short", "+time=1", "+tries=1", f"@{ctx.ip}", ".", "NS"])
        return code == 0 and bool(out.strip())

    def metrics(self, ctx: HostContext) -> dict:
        log = ctx.path("unbound.log")
        queries = []
        for line in log.read_text().splitlines() if log.exists() else []:
            match = QUERY_LINE.match(line)
            if match:
                queries.append({"time": float(match["time"]), "client": match["client"],
                                "name": match["name"].lower(), "type": match["type"]})
        return {"queries": len(queries), "query_log": queries}
