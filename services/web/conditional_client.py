"""The conditional GET (Kurose & Ross, "The Conditional GET"): fetch an
object, ask again with If-Modified-Since, let the origin's copy change, ask
again. Each step's status, bytes and time go to a CSV.

The change is made to the origin's file directly (hosts share a filesystem):
it stands for the site being updated between two visits.

    python -m services.web.conditional_client --host 10.0.0.2 --path /o/0.bin \\
        --modify /run/.../www/o/0.bin --out steps.csv
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from pathlib import Path

from services.base import CsvWorkload, write_rows
from services.web.http_modes import Clock, Http1Connection

STEPS = ("first", "not_modified", "modified")
COLUMNS = ("step", "status", "body_bytes", "seconds", "last_modified")
# The origin's copy becomes this much newer, so If-Modified-Since no longer matches.
MODIFIED_LATER_S = 10


def fetch(host: str, address: str, port: int, path: str, headers: dict) -> dict:
    clock = Clock()
    conn = Http1Connection(host, address, port, clock, 1)
    try:
        conn.send([path], keepalive=False, extra_headers=headers)
        status, response_headers, body, _, last = conn.read_response()
    finally:
        conn.close()
    return {"status": status, "body_bytes": len(body), "seconds": last,
            "last_modified": response_headers.get("last-modified", "")}


def run(host: str, port: int, path: str, modify: Path, pause_s: float) -> list[dict]:
    # Looked up once, as a browser's DNS cache would: the steps time HTTP alone.
    address = socket.gethostbyname(host)
    first = fetch(host, address, port, path, {})
    time.sleep(pause_s)
    since = {"If-Modified-Since": first["last_modified"]}
    again = fetch(host, address, port, path, since)
    stat = modify.stat()
    modify.write_bytes(modify.read_bytes()[::-1])
    os.utime(modify, (stat.st_atime, stat.st_mtime + MODIFIED_LATER_S))
    time.sleep(pause_s)
    changed = fetch(host, address, port, path, since)
    return [{"step": step, **result} for step, result in zip(STEPS, (first, again, changed),
                                                              strict=True)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="a conditional GET, step by step")
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, default=80)
    parser.add_argument("--path", required=True)
    parser.add_argument("--modify", type=Path, required=True,
                        help="the origin's file for PATH, changed before the last step")
    parser.add_argument("--pause", type=float, default=1.0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    rows = run(args.host, args.port, args.path, args.modify, args.pause)
    write_rows(args.out, COLUMNS, rows)
    return 0


class ConditionalClient(CsvWorkload):
    """The conditional GET as a workload role (see services.base)."""

    role = "conditional-client"
    columns = COLUMNS
    service_refs = ("origin",)
    output = "steps.csv"
    defaults = {"origin": None, "object": 0, "port": 80, "pause_s": 1.0,
                "clients": 1, "index": 0, "duration_s": 0}

    def command(self, ctx) -> list[str]:
        p = self._params(ctx)
        origin_home = ctx.homes[p["origin"]]
        return [sys.executable, "-m", "services.web.conditional_client",
                "--host", ctx.url_host(p["origin"]), "--port", str(p["port"]),
                "--path", f"/o/{p['object']}.bin",
                "--modify", str(origin_home / "www" / "o" / f"{p['object']}.bin"),
                "--pause", str(p["pause_s"]), "--out", str(ctx.path(self.output))]


if __name__ == "__main__":
    sys.exit(main())
