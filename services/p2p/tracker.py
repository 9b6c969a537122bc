"""opentracker (Debian's) as the swarm's tracker. Debian builds it
whitelist-only, so its configuration whitelists the one torrent it tracks:
the swarm's file (``file_bytes`` of seeded content, ``piece_kb`` pieces),
given with its .torrent in the tracker's home for the peers to take.

Peers announce once when they start (and when they finish or stop): each
learns the peers already there from the tracker, and later ones connect to
it. opentracker's half-hour announce interval is therefore no obstacle."""
from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

from services.base import HostContext, Probe, Role
from services.p2p import torrent

TRACKER_PORT = 6969


def announce_url(ip: str) -> str:
    return f"http://{ip}:{TRACKER_PORT}/announce"


def scrape_url(ip: str, info_hash_hex: str) -> str:
    return (f"http://{ip}:{TRACKER_PORT}/scrape?info_hash="
            f"{urllib.parse.quote(bytes.fromhex(info_hash_hex))}")


def published_swarm(tracker_home: Path) -> dict:
    """What a tracker's home publishes for peers: the info-hash and SHA-256
    of the swarm's file, and the paths of its .torrent and of the file."""
    published = json.loads((tracker_home / "swarm.json").read_text())
    return {**published, "torrent": tracker_home / "swarm" / "shared.torrent",
            "content": tracker_home / "swarm" / torrent.FILE_NAME}


class OpenTracker(Role):
    role = "bt-tracker"
    packages = ("opentracker",)
    packaged_units = ("opentracker.service",)
    runtime_home = True   # it chroots to its home and drops to nobody
    defaults = {"file_bytes": 2_500_000, "piece_kb": torrent.DEFAULT_PIECE_KB,
                "content_seed": 1}

    def config(self, ctx: HostContext) -> dict[Path, str | bytes]:
        p = self._params(ctx)
        made = torrent.make(p["file_bytes"], p["content_seed"], p["piece_kb"],
                            announce_url(ctx.ip))
        # -w is read relative to -d (its chroot): the whitelist sits in the home.
        return {ctx.path("whitelist"): made.info_hash + "\n",
                ctx.path("swarm.json"): (
                    f'{{"info_hash": "{made.info_hash}", "sha256": "{made.sha256}"}}\n'),
                ctx.path("swarm", "shared.torrent"): made.torrent,
                ctx.path("swarm", torrent.FILE_NAME): made.data}

    def command(self, ctx: HostContext) -> list[str]:
        return ["opentracker", "-i", ctx.ip, "-p", str(TRACKER_PORT), "-P", str(TRACKER_PORT),
                "-d", str(ctx.home), "-u", "nobody", "-w", "whitelist", "-A", ctx.ip]

    def ready(self, ctx: HostContext, probe: Probe) -> bool:
        return probe.tcp_open(ctx.ip, TRACKER_PORT)

    def metrics(self, ctx: HostContext) -> dict:
        return {"announce": announce_url(ctx.ip)}

