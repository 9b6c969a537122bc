"""An ordinary BitTorrent client in the swarm: aria2 (Debian's ``aria2``),
with nothing of applab's in it. It fetches the swarm's torrent from its
tracker like any leecher, checks every piece's hash as it goes, and exits
once it has the file; it logs when it started and finished and whether its
copy is the publisher's, the same rows as a libtorrent peer's.

DHT, local peer discovery and peer exchange are off, so it finds peers only
through the emulated tracker; it listens and connects on its host's address.

    python -m services.bt_aria2 --config client.json --out peer.csv
"""
from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

from services.base import CsvWorkload, HostContext, service_role_problems
from services.bt_peer import FIELDS, LISTEN_PORT, sha256
from services.torrent import FILE_NAME

# aria2 gives up when no byte has come for this long: a swarm stalled.
STOP_TIMEOUT_S = 60


def aria2_argv(torrent: str, save: str, ip: str) -> list[str]:
    return ["aria2c", "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
            "--enable-peer-exchange=false", "--disable-ipv6=true",
            f"--interface={ip}", f"--listen-port={LISTEN_PORT}",
            "--seed-time=0", f"--bt-stop-timeout={STOP_TIMEOUT_S}",
            "--summary-interval=0", "--console-log-level=warn", "--file-allocation=none",
            f"--dir={save}", torrent]


class Aria2Peer(CsvWorkload):
    role = "bt-aria2"
    output = "peer.csv"
    service_refs = ("tracker",)
    defaults = {"tracker": None}

    @staticmethod
    def param_problems(params: dict, spec) -> list[tuple[tuple, str]]:
        return service_role_problems(params, spec, "tracker", "bt-tracker",
                                     "whose torrent this client fetches")

    def config(self, ctx: HostContext) -> dict[Path, str]:
        p = self._params(ctx)
        tracker_home = ctx.homes[p["tracker"]]
        published = json.loads((tracker_home / "swarm.json").read_text())
        return {ctx.path("client.json"): json.dumps({
            "name": ctx.host, "sha256": published["sha256"], "save": str(ctx.path("download")),
            "argv": aria2_argv(str(tracker_home / "swarm" / "shared.torrent"),
                               str(ctx.path("download")), ctx.ip)}, indent=1)}

    def command(self, ctx: HostContext) -> list[str]:
        return [sys.executable, "-m", "services.bt_aria2", "--config",
                str(ctx.path("client.json")), "--out", str(ctx.path(self.output))]


def run_client(config: dict, out: Path) -> int:
    save = Path(config["save"])
    with open(out, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerow({"kind": "started", "time": f"{time.time():.3f}",
                         "peer": config["name"]})
        handle.flush()
        finished = subprocess.run(config["argv"], check=False)
        now = time.time()
        if finished.returncode == 0:
            writer.writerow({"kind": "completed", "time": f"{now:.3f}", "peer": config["name"],
                             "intact": sha256(save / FILE_NAME) == config["sha256"]})
        writer.writerow({"kind": "left", "time": f"{now:.3f}", "peer": config["name"],
                         "detail": "done" if finished.returncode == 0 else
                         f"aria2c exit {finished.returncode}"})
    return finished.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    return run_client(json.loads(args.config.read_text()), args.out)


if __name__ == "__main__":
    sys.exit(main())
