"""A CDN edge: nginx's proxy cache in front of an origin (``origin``, a
web-origin service), with each request's cache verdict in its log."""
from __future__ import annotations

from pathlib import Path

from services.base import HostContext, service_role_problems
from services.templates import render
from services.web.nginx_origin import NginxServer


class NginxEdge(NginxServer):
    role = "cdn-edge"
    service_refs = ("origin",)
    defaults = {"origin": None, "origin_port": 80, "port": 80, "cache_mb": 1024}

    @staticmethod
    def param_problems(params: dict, spec) -> list[tuple[tuple, str]]:
        return service_role_problems(params, spec, "origin", "web-origin",
                                     "the server this edge caches")

    def config(self, ctx: HostContext) -> dict[Path, str]:
        p = self._params(ctx)
        return {ctx.path("nginx.conf"): render(
                    "nginx-edge.conf.j2", ctx=ctx, port=p["port"], cache_mb=p["cache_mb"],
                    origin=ctx.address_of_service(p["origin"]), origin_port=p["origin_port"]),
                ctx.path("tmp", ".keep"): ""}

    def metrics(self, ctx: HostContext) -> dict:
        """Requests and hit rate from the log (fields: msec addr "request"
        status bytes verdict time)."""
        log = ctx.path("access.log")
        verdicts = [line.split()[-2] for line in log.read_text().splitlines()] \
            if log.exists() else []
        hits = sum(1 for v in verdicts if v == "HIT")
        return {"requests": len(verdicts), "hits": hits,
                "hit_rate": hits / len(verdicts) if verdicts else 0.0}
