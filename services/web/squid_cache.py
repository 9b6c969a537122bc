"""Squid as an institutional web cache (memory-only)."""
from __future__ import annotations

from pathlib import Path

from services.base import HostContext, Probe, Role
from services.templates import render

HIT_CODES = ("TCP_HIT", "TCP_MEM_HIT", "TCP_IMS_HIT", "TCP_INM_HIT", "TCP_REFRESH_UNMODIFIED")
MISS_CODES = ("TCP_MISS", "TCP_REFRESH_MODIFIED", "TCP_CLIENT_REFRESH_MISS", "TCP_SWAPFAIL_MISS")


class SquidCache(Role):
    role = "web-cache"
    packages = ("squid",)
    packaged_units = ("squid.service",)
    user = "proxy"  # Squid drops to it: its directory must be the user's
    defaults = {"port": 3128, "cache_mem_mb": 64, "max_object_kb": 1024,
                "pconn_timeout_s": 600, "exclude_clients": []}


    @staticmethod
    def instance_name(ctx: HostContext) -> str:
        """Squid names its shared-memory segments after this: one per
        instance, so it names the run's runtime directory (its home's
        grandparent) and the host; `applab clean` finds a live run's by it."""
        run = ctx.home.parents[1].name
        return "applab" + run + "".join(c for c in ctx.host if c.isalnum())

    def config(self, ctx: HostContext) -> dict[Path, str]:
        p = self._params(ctx)
        return {ctx.path("squid.conf"): render(
            "squid.conf.j2", ctx=ctx, port=p["port"], cache_mem_mb=p["cache_mem_mb"],
            max_object_kb=p["max_object_kb"], pconn_timeout_s=p["pconn_timeout_s"],
            resolver=ctx.address_of_service(ctx.resolver) if ctx.resolver else "127.0.0.1")}

    def command(self, ctx: HostContext) -> list[str]:
        return ["squid", "-N", "-d1", "-n", self.instance_name(ctx),
                "-f", str(ctx.path("squid.conf"))]

    def ready(self, ctx: HostContext, probe: Probe) -> bool:
        return probe.tcp_open(ctx.ip, self._params(ctx)["port"])

    def metrics(self, ctx: HostContext) -> dict:
        """Hit rate from Squid's own log, over the clients' requests only
        (the cache's own warm-up requests come from loopback)."""
        log = ctx.path("access.log")
        excluded = {"127.0.0.1", *self._params(ctx)["exclude_clients"]}
        hits = misses = other = 0
        for line in log.read_text().splitlines() if log.exists() else []:
            fields = line.split()
            if len(fields) < 4 or fields[2] in excluded:
                continue
            code = fields[3].split("/")[0]
            if code in HIT_CODES:
                hits += 1
            elif code in MISS_CODES:
                misses += 1
            else:
                other += 1
        total = hits + misses + other
        return {"requests": total, "hits": hits, "misses": misses, "other": other,
                "hit_rate": hits / total if total else 0.0}
