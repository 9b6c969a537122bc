"""nginx as an origin web server."""
from __future__ import annotations

import statistics
from pathlib import Path

from services.base import HostContext, Probe, Role
from services.templates import render
from services.video.dash import content as dash_content
from services.web.http_wire import wire_bytes


def page_files(root: Path, base_bytes: int, objects: list[int]) -> dict[Path, str]:
    """index.html of ``base_bytes`` referencing one image per size in
    ``objects``, in that order, and the images themselves."""
    tags = "".join(f'<img src="/o/{i}.bin">\n' for i in range(len(objects)))
    head = f"<!DOCTYPE html>\n<html><body>\n{tags}"
    tail = "</body></html>\n"
    padding = max(0, base_bytes - len(head) - len(tail) - len("<!--  -->\n"))
    files = {root / "index.html": f"{head}<!-- {'p' * padding} -->\n{tail}"}
    for i, size in enumerate(objects):
        files[root / "o" / f"{i}.bin"] = "o" * size
    return files


def served_file(home: Path, path: str) -> Path:
    """Where an origin whose home is ``home`` keeps the body it serves at
    ``path``: every /obj/NAME is the one object (nginx.conf.j2), the rest its
    page files. Its layout is known here alone."""
    if path.startswith("/obj/"):
        return home / "www" / "object.bin"
    return home / "www" / path.lstrip("/")


class NginxServer(Role):
    """What every nginx role shares: run in the foreground with all its state
    in its home, ready once its port accepts."""
    packages = ("nginx-light",)
    packaged_units = ("nginx.service",)

    def command(self, ctx: HostContext) -> list[str]:
        return ["nginx", "-c", str(ctx.path("nginx.conf")), "-p", str(ctx.home),
                "-e", str(ctx.path("error.log")), "-g", "daemon off;"]

    def ready(self, ctx: HostContext, probe: Probe) -> bool:
        return probe.tcp_open(ctx.ip, self._params(ctx)["port"])


class NginxOrigin(NginxServer):
    role = "web-origin"
    machine_packages = ("ffmpeg",)   # its DASH ladder, encoded on the machine
    defaults = {"port": 80, "object_bits": 100_000, "expires": "10m",
                "keepalive_timeout_s": 600, "keepalive": True, "h2c_port": 0,
                "page_objects": [], "page_base_bytes": 2000,
                "video_s": 0, "segment_s": 2}


    def object_bytes(self, ctx: HostContext) -> int:
        """The body: the object's content, without HTTP or TCP/IP headers."""
        return self._params(ctx)["object_bits"] // 8

    def config(self, ctx: HostContext) -> dict[Path, str]:
        p = self._params(ctx)
        files = {ctx.path("nginx.conf"): render(
            "nginx.conf.j2", ctx=ctx, port=p["port"], expires=p["expires"],
            keepalive=p["keepalive"], keepalive_timeout_s=p["keepalive_timeout_s"],
            h2c_port=p["h2c_port"], video=self.video(ctx))}
        files[served_file(ctx.home, "/obj/")] = "x" * self.object_bytes(ctx)
        files[ctx.path("tmp", ".keep")] = ""
        if p["page_objects"]:
            files.update(page_files(ctx.path("www"), p["page_base_bytes"], p["page_objects"]))
        return files

    def video(self, ctx: HostContext) -> Path | None:
        """The DASH ladder served under /video/ (``video_s`` of it; 0: none)."""
        p = self._params(ctx)
        return dash_content.build(p["video_s"], p["segment_s"]) if p["video_s"] else None

    def metrics(self, ctx: HostContext) -> dict:
        """From the access log: requests, header and wire bytes per response,
        and how many requests opened a new connection."""
        log = ctx.path("access.log")
        rows = [line.split() for line in log.read_text().splitlines()] if log.exists() else []
        # fields: msec addr "METHOD URL PROTO" status body_bytes bytes_sent conn conn_reqs time
        sent = [int(r[-4]) for r in rows]
        bodies = [int(r[-5]) for r in rows]
        first_on_connection = sum(1 for r in rows if r[-2] == "1")
        return {
            "requests": len(rows),
            "new_connection_fraction": first_on_connection / len(rows) if rows else 0.0,
            "response_bytes_mean": statistics.fmean(sent) if sent else 0.0,
            "header_bytes_mean": statistics.fmean(s - b for s, b in zip(sent, bodies, strict=True))
            if rows else 0.0,
            "wire_bits_per_response": statistics.fmean(8 * wire_bytes(s) for s in sent)
            if sent else 0.0,
        }
