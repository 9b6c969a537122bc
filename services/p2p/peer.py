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
takes the slides' words strictly (see ``SlidesChoker``): regular slots only
for neighbours that send to this peer, a random optimistic unchoke that
lasts its 30 s, and each slot an even share of ``upload_kbps``.

Each second a peer logs the pieces it holds and, per neighbour (unless
``record_neighbours`` is off: those rows grow as N² a second, and a swarm
judged by its completion alone reads none), the rates both ways, who chokes
whom and who is interested, and each choke, unchoke and optimistic unchoke
since the second before; each piece it starts to
request, with how many neighbours have it against the other pieces it
could have taken (rarest first); when it finished and whether its copy
matches; when it left, and why (stopped, done, or its deadline).
A leecher stays to seed after finishing, and leaves once the tracker has
counted every leecher's completion (``clients`` of them): the scrape's
``downloaded`` only grows, where its ``complete`` drops as peers leave.
With ``leave_when_done`` it leaves as soon as it has the file."""
from __future__ import annotations

import csv
import hashlib
import random
import shutil
import signal
import sys
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

from services.base import (
    HostContext,
    SettingsFileWorkload,
    begin_with_the_others,
    boolean_problems,
    retrying,
    service_role_problems,
    settings_file_main,
)
from services.p2p.choker import (
    OPTIMISTIC_UNCHOKE_INTERVAL_S,
    OPTIMISTIC_UNCHOKE_SLOTS,
    REGULAR_UNCHOKE_SLOTS,
    UNCHOKE_INTERVAL_S,
    SlidesChoker,
    choke_event,
)
from services.p2p.torrent import FILE_NAME
from services.p2p.tracker import published_swarm, scrape_url

LISTEN_PORT = 6881
# How often a peer looks at its torrent: the resolution of its completion time.
POLL_S = 0.1
SCRAPE_TIMEOUT_S = 2.0
# How long a finished peer's copy may take to reach its disk before it
# counts as corrupt: libtorrent writes behind its hash checks.
WRITTEN_WITHIN_S = 5.0
FIELDS = ["kind", "time", "peer", "progress", "pieces", "down_bps", "up_bps", "neighbour",
          "choked_by_us", "choking_us", "optimistic", "interested", "chosen", "piece",
          "availability", "detail", "intact"]
# libtorrent keeps at least one optimistic slot, first filled on its first
# tick (before any neighbour could want a piece from a peer holding none);
# for a free-rider, and a strict peer whose own choker unchokes
# optimistically, its next optimistic round is put beyond any run.
OPTIMISTIC_UNCHOKE_NEVER_S = 10 ** 6
# libtorrent's unchoke slot limit for each way of unchoking. The publisher
# unchokes everyone who wants a piece, so its upload is shared evenly: with
# slots, libtorrent's round robin keeps its first picks for at least a
# minute, and who those were would decide a short run.
# A strict peer starts with no one chosen: its one slot is the one libtorrent
# keeps for its own optimistic unchoke.
UNCHOKES = {"tit-for-tat": REGULAR_UNCHOKE_SLOTS + OPTIMISTIC_UNCHOKE_SLOTS,
            "strict": OPTIMISTIC_UNCHOKE_SLOTS,
            "everyone": -1, "no-one": 0}
# A strict peer's own choker (``SlidesChoker``) decides; libtorrent's carries
# it out at its next round, so its rounds are as often as it allows.
STRICT_UNCHOKE_INTERVAL_S = 1
# What a strict peer's choker looks at, this often.
DECIDE_S = 0.25
# A choice shows in libtorrent's choke state after its next round, within
# this long of being made (its rounds come on its one-second tick).
SETTLE_S = STRICT_UNCHOKE_INTERVAL_S + DECIDE_S
# libtorrent addresses peer classes by a 32-bit mask: classes 0-2 are its
# own (global, TCP, local), which leaves 29 for one per neighbour.
MAX_NEIGHBOUR_CLASSES = 29
CHOSEN_PRIORITY, OTHERS_PRIORITY = 2, 1


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
        "seed_choking_algorithm": 0,       # round_robin
        "unchoke_slots_limit": UNCHOKES[unchokes],
        "num_optimistic_unchoke_slots": OPTIMISTIC_UNCHOKE_SLOTS,
        "unchoke_interval": STRICT_UNCHOKE_INTERVAL_S if unchokes == "strict"
        else UNCHOKE_INTERVAL_S,
        # A strict peer's optimistic unchoke is its own choker's, not libtorrent's.
        "optimistic_unchoke_interval": OPTIMISTIC_UNCHOKE_NEVER_S
        if unchokes in ("no-one", "strict") else OPTIMISTIC_UNCHOKE_INTERVAL_S,
        # The fast extension's "allowed fast" pieces may be fetched while
        # choked: a free-rider would get a whole small file that way.
        "allowed_fast_set_size": 0,
        # A strict peer's choice is per neighbour address: one connection
        # each, or a neighbour's second one takes a slot of its own.
        "allow_multiple_connections_per_ip": unchokes != "strict",
        "min_reconnect_time": 1,
        "user_agent": "applab",
        "alert_mask": 0,
    }


class BtPeer(SettingsFileWorkload):
    """A leecher: it starts with nothing."""

    role = "bt-peer"
    columns = tuple(FIELDS)
    program = "services.p2p.peer"
    settings_file = "peer.json"
    output = "peer.csv"
    service_refs = ("tracker",)
    seeding = False
    begins_together = True
    defaults = {"tracker": None, "upload_kbps": 0, "download_kbps": 0,
                "free_rider": False, "strict_tit_for_tat": False, "leave_when_done": False,
                "record_s": 1.0, "record_neighbours": True, "drain_s": 30}

    @staticmethod
    def param_problems(params: dict, spec) -> list[tuple[tuple, str]]:
        problems = service_role_problems(params, spec, "tracker", "bt-tracker",
                                         "whose torrent this peer shares") + \
            boolean_problems(params, ("free_rider", "strict_tit_for_tat", "leave_when_done",
                                     "record_neighbours"))
        if params.get("strict_tit_for_tat") is True:
            neighbours = len(swarm_hosts(spec.topology.build().hosts(),
                                         [service.host for service in spec.services.values()])) - 1
            if neighbours > MAX_NEIGHBOUR_CLASSES:
                problems.append((("strict_tit_for_tat",), (
                    f"gives each neighbour a libtorrent peer class of its own: at most "
                    f"{MAX_NEIGHBOUR_CLASSES}, and this topology has {neighbours} hosts "
                    f"besides this one and the services'")))
        return problems

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
            "neighbours": sorted(ctx.addresses[host] for host in
                                 swarm_hosts(ctx.addresses, ctx.services.values()) - {ctx.host}),
            "choker_seed": f"{ctx.seed}:{ctx.host}",
            "record_s": p["record_s"], "record_neighbours": bool(p["record_neighbours"]),
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


def swarm_hosts(hosts, service_hosts) -> set[str]:
    """The hosts that may be a strict peer's neighbours (itself among them):
    every host but those of services."""
    return set(hosts) - set(service_hosts)


class NeighbourClasses:
    """A strict peer's choice, carried out by libtorrent's choker. Each
    neighbour is in a peer class of its own (assigned when it connects):

    - the chosen rank first: the choker orders peers by their class's upload
      priority before anything else;
    - a neighbour neither chosen nor unchoked is out of the choker's sight
      (its class ignores unchoke slots), so that the chosen are all it
      sees, and unchokes, with as many slots as there are chosen. The
      choker keeps one more slot for its optimistic unchoke, which a strict
      peer never makes; and it picks its unchokes from a partial sort that
      leaves the picks in no order, so while it still holds an unchosen
      neighbour unchoked it gets one slot fewer, and chokes that one first.
      (libtorrent unchokes a neighbour out of sight at once when it says it
      wants a piece: back in sight, it is choked at the next round);
    - each class may cap what one neighbour gets: the slides' five slots
      sharing the upload evenly, where libtorrent gives a slot what the
      others leave."""

    def __init__(self, session, neighbours: list[str], per_neighbour_bytes_s: int = 0):
        import libtorrent as lt

        if len(neighbours) > MAX_NEIGHBOUR_CLASSES:
            raise ValueError(f"strict tit-for-tat needs a libtorrent peer class for each "
                             f"neighbour: at most {MAX_NEIGHBOUR_CLASSES}, and this peer "
                             f"has {len(neighbours)}")
        self.session = session
        self.classes = {n: session.create_peer_class(n) for n in neighbours}
        rules = peer_class_filter()
        for neighbour, peer_class in self.classes.items():
            self._set(neighbour, upload_limit=per_neighbour_bytes_s)
            rules.add_rule(neighbour, neighbour,
                           (1 << lt.session.global_peer_class_id) | (1 << peer_class))
        session.set_peer_class_filter(rules)
        self.chosen: set[str] = set()
        self.changed_at: dict[str, float] = {}
        self.states: dict[str, tuple[int, bool]] = {}
        self.slots = None

    def settled(self, neighbour: str, now: float) -> bool:
        """Whether libtorrent has had a round since this neighbour's choice
        last changed, so that its choke state should show the choice."""
        return now - self.changed_at.get(neighbour, -SETTLE_S) >= SETTLE_S

    def _set(self, neighbour: str, **fields) -> None:
        # set_peer_class resets every field it is not given: give them all.
        peer_class = self.classes[neighbour]
        self.session.set_peer_class(peer_class,
                                    {**self.session.get_peer_class(peer_class), **fields})

    def carry_out(self, now: float, chosen: set[str], unchoked: set[str],
                  seeding: bool) -> None:
        """``chosen``: whom to unchoke, all wanting a piece; ``unchoked``:
        the neighbours that want a piece and are unchoked now."""
        # A seed has no one to reciprocate: libtorrent's round robin serves all.
        chosen = set() if seeding else chosen & set(self.classes)
        for neighbour in chosen ^ self.chosen:
            self.changed_at[neighbour] = now
        self.chosen = chosen
        for neighbour in self.classes:
            state = (CHOSEN_PRIORITY if neighbour in chosen else OTHERS_PRIORITY,
                     not seeding and neighbour not in chosen | unchoked)
            if self.states.get(neighbour) != state:
                self.states[neighbour] = state
                self._set(neighbour, upload_priority=state[0], ignore_unchoke_slots=state[1])
        slots = UNCHOKES["tit-for-tat"] if seeding else \
            len(chosen) + (0 if unchoked - chosen else OPTIMISTIC_UNCHOKE_SLOTS)
        if slots != self.slots:
            self.slots = slots
            self.session.apply_settings({"unchoke_slots_limit": slots})


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
    strict = config["unchokes"] == "strict"
    if strict:
        classes = NeighbourClasses(session, config["neighbours"],
                                   config["upload_kbps"] * 125 // UNCHOKES["tit-for-tat"])
    else:
        session.set_peer_class_filter(peer_class_filter())
    info = lt.torrent_info(config["torrent"])
    params = lt.add_torrent_params()
    params.ti = info
    params.save_path = str(save)
    # Paused until the swarm begins: no announce, no connection before then.
    session.pause()
    handle = session.add_torrent(params)
    begin_with_the_others()
    session.resume()
    started = time.time()
    deadline = time.monotonic() + config["deadline_s"]
    completed = None
    with open(out, "w", newline="") as handle_out:
        writer = csv.DictWriter(handle_out, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerow({"kind": "started", "time": f"{started:.3f}", "peer": config["name"]})
        next_record = next_decision = time.monotonic()
        requested: set[int] = set()
        last_states: dict[str, tuple[bool, bool]] = {}
        choker = SlidesChoker(random.Random(config["choker_seed"]), time.monotonic()) \
            if strict else None
        while not stopping and time.monotonic() < deadline:
            time.sleep(POLL_S)
            now = time.time()
            status = handle.status()
            if completed is None and status.is_seeding:
                completed = now
                writer.writerow({"kind": "completed", "time": f"{now:.3f}",
                                 "peer": config["name"],
                                 "intact": copy_intact(save / FILE_NAME, config["sha256"],
                                                       handle.flush_cache)})
            if not status.is_seeding:
                for row in new_requests(handle, status.pieces, requested):
                    writer.writerow({"time": f"{now:.3f}", "peer": config["name"], **row})
            if choker and time.monotonic() >= next_decision:
                next_decision += DECIDE_S
                received, interested, unchoked = neighbour_states(handle)
                choker.decide(time.monotonic(), received, interested)
                classes.carry_out(time.monotonic(), choker.unchoked(interested), unchoked,
                                  status.is_seeding)
            if time.monotonic() < next_record:
                continue
            next_record += config["record_s"]
            writer.writerow({"kind": "progress", "time": f"{now:.3f}", "peer": config["name"],
                             "progress": f"{status.progress:.4f}",
                             "pieces": "".join("1" if held else "0" for held in status.pieces),
                             "down_bps": 8 * status.download_rate,
                             "up_bps": 8 * status.upload_rate,
                             "detail": status.total_payload_upload})
            states = {}
            for peer in handle.get_peer_info() if config["record_neighbours"] else ():
                choked = bool(peer.flags & peer.choked)
                optimistic = choker.optimistically(peer.ip[0]) and not choked if choker \
                    else bool(peer.flags & peer.optimistic_unchoke)
                states[peer.ip[0]] = (choked, optimistic)
                event = choke_event(last_states.get(peer.ip[0]), states[peer.ip[0]])
                if event:
                    writer.writerow({"kind": event, "time": f"{now:.3f}",
                                     "peer": config["name"], "neighbour": peer.ip[0]})
                writer.writerow({
                    "kind": "neighbour", "time": f"{now:.3f}", "peer": config["name"],
                    "neighbour": peer.ip[0], "down_bps": 8 * peer.down_speed,
                    "up_bps": 8 * peer.up_speed,
                    "choked_by_us": int(choked),
                    "choking_us": int(bool(peer.flags & peer.remote_choked)),
                    "optimistic": int(optimistic),
                    # What a strict leecher's choker asked for, to compare,
                    # once libtorrent has had a round to carry it out.
                    "chosen": int(peer.ip[0] in classes.chosen)
                    if choker and not status.is_seeding
                    and classes.settled(peer.ip[0], time.monotonic()) else "",
                    "interested": int(bool(peer.flags & peer.remote_interested)),
                    "detail": f"{peer.total_download} {peer.total_upload}"})
            last_states = states
            handle_out.flush()
            if completed is not None and config["leechers"] is not None and (
                    config["leave_when_done"]
                    or completions(config["scrape"]) >= config["leechers"]):
                break
        writer.writerow({"kind": "left", "time": f"{time.time():.3f}", "peer": config["name"],
                         "detail": "stopped" if stopping else
                         "done" if completed is not None else "deadline"})
    return 0


def neighbour_states(handle) -> tuple[dict[str, int], set[str], set[str]]:
    """Payload bytes received from each neighbour's address; the addresses
    that want a piece from us; those of them we have unchoked."""
    received: dict[str, int] = defaultdict(int)
    interested, unchoked = set(), set()
    for peer in handle.get_peer_info():
        received[peer.ip[0]] += peer.total_download
        if peer.flags & peer.remote_interested:
            interested.add(peer.ip[0])
            if not peer.flags & peer.choked:
                unchoked.add(peer.ip[0])
    return dict(received), interested, unchoked


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
    if len(availability) < len(held):
        return []   # it finished since its status was read: libtorrent keeps none for a seed
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


class CopyNotWritten(Exception):
    """The copy on disk is not yet the file."""


def copy_intact(path: Path, expected_sha256: str, flush) -> bool:
    """Whether the copy at ``path`` is the file, once libtorrent's writes
    reached it: a piece counts once its hash check passed, which may be
    before its disk thread wrote it (one peer of 250 on two busy cores read
    a copy not yet whole). ``flush()`` asks for the writes."""
    def written() -> None:
        if sha256(path) != expected_sha256:
            flush()
            raise CopyNotWritten(path)

    try:
        retrying(written, time.monotonic() + WRITTEN_WITHIN_S, CopyNotWritten, POLL_S)
    except CopyNotWritten:
        return False
    return True


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


if __name__ == "__main__":
    sys.exit(settings_file_main(run_peer, __doc__.splitlines()[0]))
