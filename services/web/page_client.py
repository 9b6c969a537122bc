"""The measuring browser: fetch a base page and the objects it references in
one or more of the textbook's HTTP modes (services.web.http_modes), timing
every object, one row each:

    python -m services.web.page_client --host 10.0.2.2 --port 80 --h2-port 8080 \\
        --page /index.html --modes nonpersistent,http2 --repeat 3 --out pages.csv
"""
from __future__ import annotations

import argparse
import socket
import sys
import time
from dataclasses import asdict
from pathlib import Path

from services.base import (
    CsvWorkload,
    begin_with_the_others,
    retrying,
    service_role_problems,
    write_rows,
)
from services.web import tls
from services.web.http_modes import MODES, TLS_MODES, Origin, Page, Timing

# The resolver itself tries twice, 2 s apart (resolv.conf); over 5 % loss
# each way both tries failed once here.
LOOKUP_WITHIN_S = 30
LOOKUP_RETRY_S = 1.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="time a page load per HTTP mode")
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, default=80)
    parser.add_argument("--h2-port", type=int, default=8080)
    parser.add_argument("--tls-port", type=int, default=443)
    parser.add_argument("--ca", help="the only authority a TLS certificate may come from")
    parser.add_argument("--qlog-dir", type=Path, help="where HTTP/3 loads keep their qlog")
    parser.add_argument("--page", default="/index.html")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--parallel", type=int, default=5)
    parser.add_argument("--pause", type=float, default=1.0,
                        help="seconds between page loads, so links drain")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    modes = args.modes.split(",")
    unknown = set(modes) - set(MODES)
    if unknown:
        parser.error(f"unknown modes {sorted(unknown)}; choose from {', '.join(MODES)}")
    if set(modes) & set(TLS_MODES) and not args.ca:
        parser.error(f"{', '.join(TLS_MODES)} need --ca")
    if "http3" in modes and not args.qlog_dir:
        parser.error("http3 needs --qlog-dir")
    # One lookup before any page load, as a browser's DNS cache makes it: the
    # page-load times are the textbook's, which leave DNS out.
    # A lookup lost on a lossy link is asked again, as a browser would.
    address, _ = retrying(lambda: socket.gethostbyname(args.host),
                          time.monotonic() + LOOKUP_WITHIN_S, socket.gaierror, LOOKUP_RETRY_S)
    origin = Origin(args.host, address, args.port, args.h2_port, args.tls_port, args.ca)
    if args.qlog_dir:
        args.qlog_dir.mkdir(parents=True, exist_ok=True)
    begin_with_the_others()
    rows = []
    for run in range(args.repeat):
        for mode in modes:
            page = Page(origin, args.page, mode, run, args.parallel, args.qlog_dir)
            rows += [asdict(t) for t in page.load()]
            time.sleep(args.pause)
    write_rows(args.out, PageClient.columns, rows)
    return 0



class PageClient(CsvWorkload):
    """The page client as a workload role (see services.base)."""

    role = "page-client"
    columns = tuple(Timing.__dataclass_fields__)
    begins_together = True
    service_refs = ("origin",)
    output = "pages.csv"
    defaults = {"origin": None, "modes": list(MODES[:5]), "repeat": 3, "parallel": 5,
                "pause_s": 1.0, "port": 80, "h2c_port": 8080, "tls_port": 443,
                "page": "/index.html", "clients": 1, "index": 0, "duration_s": 0}

    @staticmethod
    def param_problems(params: dict, spec) -> list[tuple[tuple, str]]:
        unknown = [m for m in params.get("modes", []) if m not in MODES]
        if unknown:
            return [(("modes",), f"unknown modes {unknown}; choose from {', '.join(MODES)}")]
        if set(params.get("modes", [])) & set(TLS_MODES):
            return service_role_problems(params, spec, "origin", "web-origin-h3",
                                         "whose authority signs the TLS certificate")
        return []

    def command(self, ctx) -> list[str]:
        p = self._params(ctx)
        argv = [sys.executable, "-m", "services.web.page_client",
                "--host", ctx.url_host(p["origin"]), "--port", str(p["port"]),
                "--h2-port", str(p["h2c_port"]), "--tls-port", str(p["tls_port"]),
                "--page", p["page"],
                "--modes", ",".join(p["modes"]), "--repeat", str(p["repeat"]),
                "--parallel", str(p["parallel"]), "--pause", str(p["pause_s"]),
                "--out", str(ctx.path(self.output))]
        if set(p["modes"]) & set(TLS_MODES):
            argv += ["--ca", str(tls.files_in(ctx.homes[p["origin"]]).ca),
                     "--qlog-dir", str(ctx.path("qlog"))]
        return argv

    def metrics(self, ctx) -> dict:
        rows = self.read_rows(ctx)
        return {"objects_fetched": len(rows),
                "page_loads": len({(r["mode"], r["run"]) for r in rows})}


if __name__ == "__main__":
    sys.exit(main())
