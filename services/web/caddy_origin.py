"""Caddy as an origin that speaks HTTP/3: Debian 12's nginx (1.22) has no
QUIC, and Caddy, also from Debian, serves HTTP/1.1, HTTP/2 and HTTP/3 from
one configuration, a real server rather than a library's example.

HTTPS on ``tls_port`` (TCP for HTTP/1.1 and HTTP/2, UDP for HTTP/3) with a
certificate for the host's emulated name from an authority made for the run
(``services.web.tls``: a client trusts ``ca.pem`` in this service's home and
nothing else); cleartext HTTP/1.1 and h2c on ``port``. The content is the
other HTTP experiments' page (``page_objects``)."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from services.base import HostContext, Probe, Role, listening
from services.templates import render
from services.web import tls
from services.web.nginx_origin import page_files


class CaddyOrigin(Role):
    role = "web-origin-h3"
    packages = ("caddy",)
    packaged_units = ("caddy.service", "caddy-api.service")
    defaults = {"port": 80, "tls_port": 443, "page_objects": [], "page_base_bytes": 2000}

    def config(self, ctx: HostContext) -> dict[Path, str]:
        p = self._params(ctx)
        name = ctx.names.name_of(ctx.host) if ctx.names else None
        files = tls.issue(ctx.home, [name] if name else [], [ctx.ip])
        files[ctx.path("Caddyfile")] = render(
            "Caddyfile.j2", ctx=ctx, port=p["port"], tls_port=p["tls_port"],
            files=tls.files_in(ctx.home))
        files.update(page_files(ctx.path("www"), p["page_base_bytes"], p["page_objects"]))
        return files

    def command(self, ctx: HostContext) -> list[str]:
        # Caddy keeps its autosaved configuration under XDG_CONFIG_HOME.
        return ["env", f"HOME={ctx.home}", f"XDG_CONFIG_HOME={ctx.path('config')}",
                f"XDG_DATA_HOME={ctx.path('data')}",
                "caddy", "run", "--config", str(ctx.path("Caddyfile")), "--adapter", "caddyfile"]

    def ready(self, ctx: HostContext, probe: Probe) -> bool:
        p = self._params(ctx)
        # HTTP/3 too: its UDP port, which no TCP connection would show.
        return probe.tcp_open(ctx.ip, p["tls_port"]) and probe.tcp_open(ctx.ip, p["port"]) \
            and listening(probe, p["tls_port"], "udp")

    def metrics(self, ctx: HostContext) -> dict:
        """Requests served, per protocol, from the access log."""
        log = ctx.path("access.log")
        lines = log.read_text().splitlines() if log.exists() else []
        protocols = Counter(json.loads(line)["request"]["proto"] for line in lines)
        return {"requests": len(lines),
                **{f"requests_{proto.replace('/', '').replace('.', '_').lower()}": count
                   for proto, count in protocols.items()}}
