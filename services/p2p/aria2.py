"""An ordinary BitTorrent client in the swarm: aria2 (Debian's ``aria2``),
with nothing of applab's in it. It fetches the swarm's torrent from its
tracker like any leecher, checks every piece's hash as it goes, and exits
once it has the file; it logs when it started and finished and whether its
copy is the publisher's, the same rows as a libtorrent peer's.

DHT, local peer discovery and peer exchange are off, so it finds peers only
through the emulated tracker; it listens and connects on its host's address.

    python -m services.p2p.aria2 --config client.json --out peer.csv
"""
from __future__ import annotations

import csv
import subprocess
import sys
import time
from pathlib import Path

from services.base import (
    HostContext,
    SettingsFileWorkload,
    service_role_problems,
    settings_file_main,
)
from services.p2p.peer import FIELDS, LISTEN_PORT, sha256
from services.p2p.torrent import FILE_NAME
from services.p2p.tracker import published_swarm

# aria2 gives up when no byte has come for this long: a swarm stalled.
STOP_TIMEOUT_S = 60


def aria2_argv(torrent: str, save: str, ip: str) -> list[str]:
    return ["aria2c", "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
            "--enable-peer-exchange=false", "--disable-ipv6=true",
            f"--interface={ip}", f"--listen-port={LISTEN_PORT}",
            "--seed-time=0", f"--bt-stop-timeout={STOP_TIMEOUT_S}",
            "--summary-interval=0", "--console-log-level=warn", "--file-allocation=none",
            f"--dir={save}", torrent]


class Aria2Peer(SettingsFileWorkload):
    role = "bt-aria2"
    columns = tuple(FIELDS)
    packages = ("aria2",)
    program = "services.p2p.aria2"
    settings_file = "client.json"
    output = "peer.csv"
    service_refs = ("tracker",)
    defaults = {"tracker": None}

    @staticmethod
    def param_problems(params: dict, spec) -> list[tuple[tuple, str]]:
        return service_role_problems(params, spec, "tracker", "bt-tracker",
                                     "whose torrent this client fetches")

    def settings(self, ctx: HostContext) -> dict:
        swarm = published_swarm(ctx.homes[self._params(ctx)["tracker"]])
        return {"name": ctx.host, "sha256": swarm["sha256"], "save": str(ctx.path("download")),
                "argv": aria2_argv(str(swarm["torrent"]), str(ctx.path("download")), ctx.ip)}


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


if __name__ == "__main__":
    sys.exit(settings_file_main(run_client, __doc__.splitlines()[0]))
