"""BitTorrent peers on libtorrent: one process per host, the swarm's torrent
from its tracker (``tracker``, a bt-tracker service).

Rates: the textbook's u and d are the host's access link (its ``up`` and
``down`` bw), enforced by the emulation for every byte, protocol included;
``upload_kbps``/``download_kbps`` add libtorrent's own limits (0: none), for
a peer whose client is throttled rather than its link.

Each second a peer logs its progress and, per neighbour, the rates both ways
and who chokes whom; it logs when it finished and whether its copy matches.
A leecher stays to seed after finishing, and leaves once the tracker has
counted every leecher's completion (``clients`` of them): the scrape's
``downloaded`` only grows, where its ``complete`` drops as peers leave."""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import shutil
import signal
import sys
import time
import urllib.request
from pathlib import Path

from services.base import CsvWorkload, HostContext, service_role_problems
from services.bt_tracker import scrape_url
from services.torrent import FILE_NAME

LISTEN_PORT = 6881
# How often a peer looks at its torrent: the resolution of its completion time.
POLL_S = 0.1
SCRAPE_TIMEOUT_S = 2.0
FIELDS = ["kind", "time", "peer", "progress", "pieces", "down_bps", "up_bps", "neighbour",
          "choked_by_us", "choking_us", "optimistic", "detail", "intact"]
# libtorrent's regular unchoke slots and the slides' 10 s re-evaluation.
UNCHOKE_SLOTS = 4
UNCHOKE_INTERVAL_S = 10
OPTIMISTIC_UNCHOKE_INTERVAL_S = 30


def session_settings(listen_ip: str, upload_kbps: int, download_kbps: int) -> dict:
    """libtorrent's settings: the emulation's address only; nothing that finds
    peers or opens ports outside it (DHT, LSD, UPnP, NAT-PMP); TCP only (no
    uTP, so runs compare); the slides' tit-for-tat."""
    return {
        "listen_interfaces": f"{listen_ip}:{LISTEN_PORT}",
        "outgoing_interfaces": listen_ip,
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False,
        "enable_natpmp": False,
        "enable_incoming_utp": False, "enable_outgoing_utp": False,
        "enable_incoming_tcp": True, "enable_outgoing_tcp": True,
        "upload_rate_limit": upload_kbps * 125, "download_rate_limit": download_kbps * 125,
        "choking_algorithm": 0,            # fixed_slots_choker: tit-for-tat on 4 slots
        "unchoke_slots_limit": UNCHOKE_SLOTS,
        "unchoke_interval": UNCHOKE_INTERVAL_S,
        "optimistic_unchoke_interval": OPTIMISTIC_UNCHOKE_INTERVAL_S,
        "allow_multiple_connections_per_ip": True,
        "min_reconnect_time": 1,
        "user_agent": "applab",
        "alert_mask": 0,
    }


class BtPeer(CsvWorkload):
    """A leecher: it starts with nothing."""

    role = "bt-peer"
    output = "peer.csv"
    service_refs = ("tracker",)
    seeding = False
    defaults = {"tracker": None, "upload_kbps": 0, "download_kbps": 0,
                "record_s": 1.0, "drain_s": 30}

    @staticmethod
    def param_problems(params: dict, spec) -> list[tuple[tuple, str]]:
        return service_role_problems(params, spec, "tracker", "bt-tracker",
                                     "whose torrent this peer shares")

    def config(self, ctx: HostContext) -> dict[Path, str]:
        p = self._params(ctx)
        swarm = ctx.homes[p["tracker"]] / "swarm"
        published = json.loads((ctx.homes[p["tracker"]] / "swarm.json").read_text())
        return {ctx.path("peer.json"): json.dumps({
            "name": ctx.host, "listen": ctx.ip, "torrent": str(swarm / "shared.torrent"),
            "publisher_copy": str(swarm / FILE_NAME) if self.seeding else None,
            "save": str(ctx.path("download")),
            "sha256": published["sha256"],
            "scrape": scrape_url(ctx.address_of_service(p["tracker"]), published["info_hash"]),
            "leechers": None if self.seeding else int(p.get("clients", 1)),
            "upload_kbps": p["upload_kbps"], "download_kbps": p["download_kbps"],
            "record_s": p["record_s"],
            "deadline_s": float(p["duration_s"]) + float(p["drain_s"])}, indent=1)}

    def command(self, ctx: HostContext) -> list[str]:
        return [sys.executable, "-m", "services.bt_peer", "--config", str(ctx.path("peer.json")),
                "--out", str(ctx.path(self.output))]


class BtSeed(BtPeer):
    """The initial seed: the publisher's copy, served until the run ends."""

    role = "bt-seed"
    seeding = True
    finite = False


def peer_class_filter():
    """Every address in libtorrent's global peer class. By default it puts
    private-range peers in its local class instead: never rate limited and
    always unchoked. Every emulated host is private-range, so without this
    no limit and no tit-for-tat would apply between them."""
    import libtorrent as lt

    rules = lt.ip_filter()
    rules.add_rule("0.0.0.0", "255.255.255.255", 1 << lt.session.global_peer_class_id)
    return rules


def run_peer(config: dict, out: Path) -> int:
    import libtorrent as lt

    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    save = Path(config["save"])
    save.mkdir(parents=True, exist_ok=True)
    if config["publisher_copy"]:
        shutil.copy(config["publisher_copy"], save / FILE_NAME)
    session = lt.session(session_settings(config["listen"], config["upload_kbps"],
                                          config["download_kbps"]))
    session.set_peer_class_filter(peer_class_filter())
    info = lt.torrent_info(config["torrent"])
    params = lt.add_torrent_params()
    params.ti = info
    params.save_path = str(save)
    handle = session.add_torrent(params)
    started = time.time()
    deadline = time.monotonic() + config["deadline_s"]
    completed = None
    with open(out, "w", newline="") as handle_out:
        writer = csv.DictWriter(handle_out, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerow({"kind": "started", "time": f"{started:.3f}", "peer": config["name"]})
        next_record = time.monotonic()
        while not stopping and time.monotonic() < deadline:
            time.sleep(POLL_S)
            now = time.time()
            status = handle.status()
            if completed is None and status.is_seeding:
                completed = now
                writer.writerow({"kind": "completed", "time": f"{now:.3f}",
                                 "peer": config["name"],
                                 "intact": sha256(save / FILE_NAME) == config["sha256"]})
            if time.monotonic() < next_record:
                continue
            next_record += config["record_s"]
            writer.writerow({"kind": "progress", "time": f"{now:.3f}", "peer": config["name"],
                             "progress": f"{status.progress:.4f}",
                             "pieces": sum(status.pieces), "down_bps": 8 * status.download_rate,
                             "up_bps": 8 * status.upload_rate})
            for peer in handle.get_peer_info():
                writer.writerow({
                    "kind": "neighbour", "time": f"{now:.3f}", "peer": config["name"],
                    "neighbour": peer.ip[0], "down_bps": 8 * peer.down_speed,
                    "up_bps": 8 * peer.up_speed,
                    "choked_by_us": int(bool(peer.flags & peer.choked)),
                    "choking_us": int(bool(peer.flags & peer.remote_choked)),
                    "optimistic": int(bool(peer.flags & peer.optimistic_unchoke)),
                    "detail": f"{peer.total_download} {peer.total_upload}"})
            handle_out.flush()
            if completed is not None and config["leechers"] is not None and \
                    completions(config["scrape"]) >= config["leechers"]:
                break
    return 0


def completions(scrape_url: str) -> int:
    """How many completions the tracker has counted (its scrape's
    ``downloaded``); 0 if it does not answer."""
    import libtorrent as lt

    try:
        with urllib.request.urlopen(scrape_url, timeout=SCRAPE_TIMEOUT_S) as reply:
            files = lt.bdecode(reply.read()).get(b"files", {})
    except OSError:
        return 0
    return next(iter(files.values()), {}).get(b"downloaded", 0)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    return run_peer(json.loads(args.config.read_text()), args.out)


if __name__ == "__main__":
    sys.exit(main())
