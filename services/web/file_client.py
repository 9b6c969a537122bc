"""A client that downloads one file over HTTP and logs when it started and
finished, its size and digest: the client-server side of distributing a
file to N clients.

    python -m services.web.file_client --url URL --out download.csv
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import time
from pathlib import Path

import httpx

from services.base import CsvWorkload, HostContext, begin_with_the_others
from services.web.nginx_origin import served_file

FIELDS = ["kind", "time", "bytes", "intact"]


class FileClient(CsvWorkload):
    role = "file-client"
    columns = tuple(FIELDS)
    begins_together = True
    output = "download.csv"
    service_refs = ("server",)
    defaults = {"server": None, "path": "/obj/file"}

    def command(self, ctx: HostContext) -> list[str]:
        p = self._params(ctx)
        url = f"http://{ctx.url_host(p['server'])}{p['path']}"
        # The copy is checked against the file the server (a web-origin) serves.
        served = served_file(ctx.homes[p["server"]], p["path"])
        return [sys.executable, "-m", "services.web.file_client", "--url", url,
                "--sha256", hashlib.sha256(served.read_bytes()).hexdigest(),
                "--out", str(ctx.path(self.output))]


def download(url: str, expected_sha256: str, out: Path) -> None:
    """Fetch ``url``; log the start, then the finish with whether the copy's
    SHA-256 is the one expected."""
    digest, size = hashlib.sha256(), 0
    with open(out, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerow({"kind": "started", "time": f"{time.time():.3f}"})
        with httpx.stream("GET", url, timeout=600) as reply:
            reply.raise_for_status()
            for chunk in reply.iter_bytes():
                digest.update(chunk)
                size += len(chunk)
        writer.writerow({"kind": "completed", "time": f"{time.time():.3f}", "bytes": size,
                         "intact": digest.hexdigest() == expected_sha256})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--sha256", default="", help="the file's digest, to check the copy")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    begin_with_the_others()
    download(args.url, args.sha256, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
