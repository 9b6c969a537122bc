"""BitTorrent peers on libtorrent: one process per host, the swarm's torrent
from its tracker (``tracker``, a bt-tracker service).

Rates: the textbook's u and d are the host's access link (its ``up`` and
``down`` bw), enforced by the emulation for every byte, protocol included;
``upload_kbps``/``download_kbps`` add libtorrent's own limits (0: none), for
a peer whose client is throttled rather than its link. A ``free_rider``
unchokes no one, not even optimistically, so it sends no data while its
requests still go out (a tiny upload limit would throttle those too).

Tit-for-tat is libtorrent's: four regular slots, always filled, ranked by
what each neighbour sent since the last round; when fewer than four send,
the spare slots go to neighbours that send nothing. ``strict_tit_for_tat``
takes the slides' words strictly: a regular slot only for a neighbour that
is sending to this peer (see ``Reciprocity``).

Each second a peer logs the pieces it holds and, per neighbour, the rates
both ways, who chokes whom and who is interested; each piece it starts to
request, with how many neighbours have it against the other pieces it could
have taken (rarest first); when it finished and whether its copy matches;
when it left, and why (stopped, done, or its deadline).
A leecher stays to seed after finishing, and leaves once the tracker has
counted every leecher's completion (``clients`` of them): the scrape's
``downloaded`` only grows, where its ``complete`` drops as peers leave.
With ``leave_when_done`` it leaves as soon as it has the file."""
from __future__ import annotations

import csv
import hashlib
import shutil
import signal
import sys
import time
import urllib.request
from collections import deque
from pathlib import Path

from services.base import (
    HostContext,
    SettingsFileWorkload,
    boolean_problems,
    service_role_problems,
    settings_file_main,
)
from services.bt_tracker import published_swarm, scrape_url
from services.torrent import FILE_NAME

LISTEN_PORT = 6881
# How often a peer looks at its torrent: the resolution of its completion time.
POLL_S = 0.1
SCRAPE_TIMEOUT_S = 2.0
FIELDS = ["kind", "time", "peer", "progress", "pieces", "down_bps", "up_bps", "neighbour",
          "choked_by_us", "choking_us", "optimistic", "interested", "piece", "availability",
          "detail", "intact"]
# The slides' tit-for-tat: four regular unchokes re-evaluated every 10 s, and
# one optimistic unchoke every 30 s. libtorrent's slot limit counts both.
REGULAR_UNCHOKE_SLOTS = 4
OPTIMISTIC_UNCHOKE_SLOTS = 1
UNCHOKE_INTERVAL_S = 10
OPTIMISTIC_UNCHOKE_INTERVAL_S = 30
# libtorrent keeps at least one optimistic slot, first filled on its first
# tick (before any neighbour could want a piece from a peer holding none);
# a free-rider's next optimistic round is put beyond any run.
FREE_RIDER_OPTIMISTIC_INTERVAL_S = 10 ** 6
# libtorrent's unchoke slot limit for each way of unchoking. The publisher
# unchokes everyone who wants a piece, so its upload is shared evenly: with
# slots, libtorrent's round robin keeps its first picks for at least a
# minute, and who those were would decide a short run.
# A strict peer starts with the optimistic slot only: no one has sent yet.
UNCHOKES = {"tit-for-tat": REGULAR_UNCHOKE_SLOTS + OPTIMISTIC_UNCHOKE_SLOTS,
            "strict": OPTIMISTIC_UNCHOKE_SLOTS,
            "everyone": -1, "no-one": 0}
# A strict peer counts as senders the neighbours that sent it payload within
# this window, recounted this often. libtorrent ranks by what each sent since
# its last round, and events (a neighbour losing interest, leaving) start a
# round at its next one-second tick: a sender counted here must have sent
# within any round, or its slot would go to one that sends nothing.
SENDING_WINDOW_S = 1.0
RECOUNT_S = 0.25


def session_settings(listen_ip: str, upload_kbps: int, download_kbps: int,
                     unchokes: str = "tit-for-tat") -> dict:
    """libtorrent's settings: the emulation's address only; nothing that finds
    peers or opens ports outside it (DHT, LSD, UPnP, NAT-PMP); TCP only (no
    uTP, so runs compare); whom it unchokes (``UNCHOKES``)."""
    return {
        "listen_interfaces": f"{listen_ip}:{LISTEN_PORT}",
        "outgoing_interfaces": listen_ip,
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False,
        "enable_natpmp": False,
        "enable_incoming_utp": False, "enable_outgoing_utp": False,
        "enable_incoming_tcp": True, "enable_outgoing_tcp": True,
        "upload_rate_limit": upload_kbps * 125, "download_rate_limit": download_kbps * 125,
        "choking_algorithm": 0,            # fixed_slots_choker
        "seed_choking_algorithm": 2 if unchokes == "strict" else 0,   # anti_leech, round_robin
        "unchoke_slots_limit": UNCHOKES[unchokes],
        "num_optimistic_unchoke_slots": OPTIMISTIC_UNCHOKE_SLOTS,
        "unchoke_interval": UNCHOKE_INTERVAL_S,
        "optimistic_unchoke_interval": FREE_RIDER_OPTIMISTIC_INTERVAL_S
        if unchokes == "no-one" else OPTIMISTIC_UNCHOKE_INTERVAL_S,
        # The fast extension's "allowed fast" pieces may be fetched while
        # choked: a free-rider would get a whole small file that way.
        "allowed_fast_set_size": 0,
        "allow_multiple_connections_per_ip": True,
        "min_reconnect_time": 1,
        "user_agent": "applab",
        "alert_mask": 0,
    }


class BtPeer(SettingsFileWorkload):
    """A leecher: it starts with nothing."""

    role = "bt-peer"
    program = "services.bt_peer"
    settings_file = "peer.json"
    output = "peer.csv"
    service_refs = ("tracker",)
    seeding = False
    defaults = {"tracker": None, "upload_kbps": 0, "download_kbps": 0,
                "free_rider": False, "strict_tit_for_tat": False, "leave_when_done": False,
                "record_s": 1.0, "drain_s": 30}

    @staticmethod
    def param_problems(params: dict, spec) -> list[tuple[tuple, str]]:
        return service_role_problems(params, spec, "tracker", "bt-tracker",
                                     "whose torrent this peer shares") + \
            boolean_problems(params, ("free_rider", "strict_tit_for_tat", "leave_when_done"))

    def settings(self, ctx: HostContext) -> dict:
        p = self._params(ctx)
        swarm = published_swarm(ctx.homes[p["tracker"]])
        return {
            "name": ctx.host, "listen": ctx.ip, "torrent": str(swarm["torrent"]),
            "publisher_copy": str(swarm["content"]) if self.seeding else None,
            "save": str(ctx.path("download")),
            "sha256": swarm["sha256"],
            "scrape": scrape_url(ctx.address_of_service(p["tracker"]), swarm["info_hash"]),
            "leechers": None if self.seeding else int(p.get("clients", 1)),
            "leave_when_done": bool(p["leave_when_done"]),
            "upload_kbps": p["upload_kbps"], "download_kbps": p["download_kbps"],
            "unchokes": self.unchokes(p),
            "record_s": p["record_s"],
            "deadline_s": float(p["duration_s"]) + float(p["drain_s"])}

    def unchokes(self, params: dict) -> str:
        if params["free_rider"]:
            return "no-one"
        return "strict" if params["strict_tit_for_tat"] else "tit-for-tat"


class BtSeed(BtPeer):
    """The initial seed: the publisher's copy, served to every peer that
    wants a piece until the run ends."""

    role = "bt-seed"
    seeding = True
    finite = False

    def unchokes(self, params: dict) -> str:
        return "everyone"


class Reciprocity:
    """Strict tit-for-tat on libtorrent's choker: as many regular slots as
    interested neighbours sending to this peer (at most four), plus the
    optimistic one. libtorrent still ranks who gets them, so a slot goes to
    a sender, not to a neighbour that sends nothing."""

    def __init__(self, window_s: float = SENDING_WINDOW_S):
        self.window_s = window_s
        self.samples: deque[tuple[float, dict]] = deque()

    def slots(self, now: float, received: dict, interested: set) -> int:
        """``received``: payload bytes received so far from each neighbour;
        ``interested``: the neighbours that want a piece from us."""
        self.samples.append((now, received))
        while len(self.samples) > 1 and self.samples[1][0] <= now - self.window_s:
            self.samples.popleft()
        before = self.samples[0][1]
        senders = sum(1 for n in interested if received.get(n, 0) > before.get(n, 0))
        return min(REGULAR_UNCHOKE_SLOTS, senders) + OPTIMISTIC_UNCHOKE_SLOTS


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
                                          config["download_kbps"], config["unchokes"]))
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
        next_record = next_recount = time.monotonic()
        requested: set[int] = set()
        reciprocity = Reciprocity() if config["unchokes"] == "strict" else None
        slots = UNCHOKES[config["unchokes"]]
        while not stopping and time.monotonic() < deadline:
            time.sleep(POLL_S)
            now = time.time()
            status = handle.status()
            if completed is None and status.is_seeding:
                completed = now
                writer.writerow({"kind": "completed", "time": f"{now:.3f}",
                                 "peer": config["name"],
                                 "intact": sha256(save / FILE_NAME) == config["sha256"]})
            if not status.is_seeding:
                for row in new_requests(handle, status.pieces, requested):
                    writer.writerow({"time": f"{now:.3f}", "peer": config["name"], **row})
            if reciprocity and time.monotonic() >= next_recount:
                next_recount += RECOUNT_S
                # A seed has no one to reciprocate: all its slots are open.
                wanted = UNCHOKES["tit-for-tat"] if status.is_seeding else \
                    reciprocity.slots(time.monotonic(), *received_and_interested(handle))
                if wanted != slots:
                    slots = wanted
                    session.apply_settings({"unchoke_slots_limit": slots})
            if time.monotonic() < next_record:
                continue
            next_record += config["record_s"]
            writer.writerow({"kind": "progress", "time": f"{now:.3f}", "peer": config["name"],
                             "progress": f"{status.progress:.4f}",
                             "pieces": "".join("1" if held else "0" for held in status.pieces),
                             "down_bps": 8 * status.download_rate,
                             "up_bps": 8 * status.upload_rate,
                             "detail": status.total_payload_upload})
            for peer in handle.get_peer_info():
                writer.writerow({
                    "kind": "neighbour", "time": f"{now:.3f}", "peer": config["name"],
                    "neighbour": peer.ip[0], "down_bps": 8 * peer.down_speed,
                    "up_bps": 8 * peer.up_speed,
                    "choked_by_us": int(bool(peer.flags & peer.choked)),
                    "choking_us": int(bool(peer.flags & peer.remote_choked)),
                    "optimistic": int(bool(peer.flags & peer.optimistic_unchoke)),
                    "interested": int(bool(peer.flags & peer.remote_interested)),
                    "detail": f"{peer.total_download} {peer.total_upload}"})
            handle_out.flush()
            if completed is not None and config["leechers"] is not None and (
                    config["leave_when_done"]
                    or completions(config["scrape"]) >= config["leechers"]):
                break
        writer.writerow({"kind": "left", "time": f"{time.time():.3f}", "peer": config["name"],
                         "detail": "stopped" if stopping else
                         "done" if completed is not None else "deadline"})
    return 0


def received_and_interested(handle) -> tuple[dict, set]:
    peers = handle.get_peer_info()
    return ({p.ip: p.total_download for p in peers},
            {p.ip for p in peers if p.flags & p.remote_interested})


def new_requests(handle, held: list[bool], requested: set[int]) -> list[dict]:
    """The pieces this peer has begun to request since last asked, each with
    the neighbour asked, how many neighbours have the piece and, in
    ``detail``, how many have each piece it could have asked that neighbour
    for instead (one it has, we lack, and nobody is fetching for us)."""
    queue = handle.get_download_queue()
    in_flight = {p["piece_index"] for p in queue}
    started = {p["piece_index"]: asked_peer(p) for p in queue
               if p["piece_index"] not in requested}
    if not started:
        return []
    requested.update(started)
    availability = handle.piece_availability()
    has = {peer.ip[0]: peer.pieces for peer in handle.get_peer_info()}
    rows = []
    for index, neighbour in sorted(started.items()):
        theirs = has.get(neighbour, [])
        candidates = [availability[i] for i, have in enumerate(theirs)
                      if have and not held[i] and (i == index or i not in in_flight)]
        rows.append({"kind": "request", "piece": index, "neighbour": neighbour,
                     "availability": availability[index],
                     "detail": " ".join(map(str, candidates))})
    return rows


def asked_peer(piece: dict) -> str | None:
    """The address of the neighbour a piece's first requested block went to."""
    return next((b["peer"][0] for b in piece["blocks"] if b["peer"][0] not in ("", "0.0.0.0")),
                None)


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


if __name__ == "__main__":
    sys.exit(settings_file_main(run_peer, __doc__.splitlines()[0]))
