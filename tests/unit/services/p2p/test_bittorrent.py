"""BitTorrent roles: a peer's session stays inside the emulation, the swarm's
torrent is the same on every run, the tracker whitelists it, and a file
client checks its copy."""
import random

import pytest

from services import torrent
from services.base import HostContext
from services.p2p.peer import (
    LISTEN_PORT,
    OPTIMISTIC_UNCHOKE_INTERVAL_S,
    OPTIMISTIC_UNCHOKE_NEVER_S,
    SETTLE_S,
    STRICT_UNCHOKE_INTERVAL_S,
    UNCHOKES,
    NeighbourClasses,
    SlidesChoker,
    choke_event,
    new_requests,
    session_settings,
)
from services.p2p.tracker import OpenTracker, announce_url


def test_a_peer_finds_no_one_outside_the_emulation_and_speaks_tcp_only():
    settings = session_settings("10.0.0.5", upload_kbps=0, download_kbps=0)
    for off in ("enable_dht", "enable_lsd", "enable_upnp", "enable_natpmp",
                "enable_incoming_utp", "enable_outgoing_utp"):
        assert settings[off] is False, off
    assert settings["listen_interfaces"] == f"10.0.0.5:{LISTEN_PORT}"
    assert settings["outgoing_interfaces"] == "10.0.0.5"
    regular = settings["unchoke_slots_limit"] - settings["num_optimistic_unchoke_slots"]
    assert regular == 4 and settings["unchoke_interval"] == 10
    assert settings["num_optimistic_unchoke_slots"] == 1
    assert settings["optimistic_unchoke_interval"] == 30


def test_the_publisher_unchokes_everyone_and_a_free_rider_no_one():
    assert session_settings("10.0.0.5", 0, 0, "everyone")["unchoke_slots_limit"] == -1
    rider = session_settings("10.0.0.5", 0, 0, "no-one")
    assert rider["unchoke_slots_limit"] == 0
    # libtorrent keeps one optimistic slot whatever the limit: never refilled.
    assert rider["optimistic_unchoke_interval"] == OPTIMISTIC_UNCHOKE_NEVER_S
    assert rider["allowed_fast_set_size"] == 0


def choker(seed: int = 1) -> SlidesChoker:
    return SlidesChoker(random.Random(seed), now=0.0)


def test_a_strict_peer_unchokes_its_four_top_givers_of_the_round_and_no_non_giver():
    slides = choker()
    wanting = {"a", "b", "c", "d", "e", "rider"}
    slides.decide(0.0, {}, wanting)
    assert slides.regular == frozenset()    # no one has sent anything yet
    slides.decide(9.9, {"a": 50, "b": 40}, wanting)
    assert slides.regular == frozenset()    # re-evaluated every 10 s only
    slides.decide(10.0, {"a": 500, "b": 400, "c": 300, "d": 200, "e": 100, "rider": 0},
                  wanting)
    assert slides.regular == {"a", "b", "c", "d"}
    # The next round ranks by what each sent in that round alone.
    slides.decide(20.0, {"a": 500, "b": 400, "c": 300, "d": 200, "e": 900, "rider": 0},
                  wanting)
    assert "e" in slides.regular and "rider" not in slides.regular
    # A giver that wants nothing from us takes no slot.
    slides.decide(30.0, {"a": 600, "b": 500, "c": 400, "d": 300, "e": 1000}, {"a", "rider"})
    assert slides.regular == {"a"}


def test_slots_no_one_filled_this_round_go_to_past_givers_never_to_a_non_giver():
    slides = choker()
    wanting = {"a", "b", "c", "rider"}
    slides.decide(10.0, {"a": 500, "b": 100, "c": 300}, wanting)
    # Round two: only b sent; a and c sent before, the rider never did.
    slides.decide(20.0, {"a": 500, "b": 150, "c": 300, "rider": 0}, wanting)
    assert slides.regular == {"a", "b", "c"}


def test_an_optimistic_turn_lasts_its_30_s_even_when_its_peer_sends_back():
    slides = choker()
    wanting = {"a", "b", "c"}
    slides.decide(0.0, {}, wanting)
    first = slides.optimistic
    assert first in wanting and slides.optimistically(first)
    slides.decide(10.0, {first: 1000}, wanting)   # it sent back: a regular slot too
    assert first in slides.regular and slides.optimistic == first
    assert not slides.optimistically(first)
    slides.decide(29.9, {first: 2000}, wanting)
    assert slides.optimistic == first
    slides.decide(30.0, {first: 3000}, wanting)
    assert slides.optimistic not in (first, None)
    assert slides.unchoked(wanting) == {first, slides.optimistic}


def test_an_optimistic_turn_ends_when_its_peer_no_longer_wants_a_piece():
    slides = choker()
    slides.decide(0.0, {}, {"a", "b"})
    first = slides.optimistic
    slides.decide(1.0, {}, {"a", "b"} - {first})
    assert slides.optimistic == ({"a", "b"} - {first}).pop()
    slides.decide(2.0, {}, set())
    assert slides.optimistic is None and slides.unchoked(set()) == set()


# Each of ten neighbours expects a tenth of 3000 turns, 300; a binomial
# count's standard deviation is then √270 = 16.4: four of those either way.
TURNS, NEIGHBOURS = 3000, 10
TURN_SHARE_TOLERANCE = 4 * (TURNS / NEIGHBOURS * (1 - 1 / NEIGHBOURS)) ** 0.5


def test_every_neighbour_gets_an_even_share_of_optimistic_turns():
    slides = choker(seed=7)
    wanting = {f"p{i}" for i in range(NEIGHBOURS)}
    turns = {n: 0 for n in wanting}
    for turn in range(TURNS):
        slides.decide(turn * OPTIMISTIC_UNCHOKE_INTERVAL_S, {}, wanting)
        turns[slides.optimistic] += 1
    for n, count in turns.items():
        assert abs(count - TURNS / NEIGHBOURS) <= TURN_SHARE_TOLERANCE, (n, count)


def test_a_strict_peer_leaves_its_optimistic_unchoke_to_its_own_choker():
    settings = session_settings("10.0.0.5", 0, 0, "strict")
    assert settings["unchoke_slots_limit"] == UNCHOKES["strict"] == 1
    assert settings["optimistic_unchoke_interval"] == OPTIMISTIC_UNCHOKE_NEVER_S
    assert settings["unchoke_interval"] == STRICT_UNCHOKE_INTERVAL_S == 1
    # Its choice is per neighbour address: one connection per address.
    assert settings["allow_multiple_connections_per_ip"] is False


class FakeSession:
    """What NeighbourClasses asks of a libtorrent session."""

    def __init__(self):
        self.classes: dict[int, dict] = {}
        self.settings: dict = {}

    def create_peer_class(self, name):
        self.classes[len(self.classes) + 3] = {
            "ignore_unchoke_slots": False, "connection_limit_factor": 100, "label": name,
            "upload_limit": 0, "download_limit": 0, "upload_priority": 1,
            "download_priority": 1}
        return len(self.classes) + 2

    def get_peer_class(self, peer_class):
        return dict(self.classes[peer_class])

    def set_peer_class(self, peer_class, info):
        assert info.keys() == self.classes[peer_class].keys()  # libtorrent resets the rest
        self.classes[peer_class] = info

    def set_peer_class_filter(self, rules):
        self.rules = rules

    def apply_settings(self, settings):
        self.settings.update(settings)


def seen(session, classes) -> dict[str, tuple[int, bool]]:
    """Each neighbour's (priority, out of the choker's sight)."""
    return {n: (session.classes[c]["upload_priority"], session.classes[c]["ignore_unchoke_slots"])
            for n, c in classes.classes.items()}


A, B, C = "10.0.1.2", "10.0.1.3", "10.0.1.4"


def test_libtorrent_sees_only_the_chosen_and_chokes_a_stray_first():
    session = FakeSession()
    classes = NeighbourClasses(session, [A, B, C], per_neighbour_bytes_s=45_000)
    assert all(info["upload_limit"] == 45_000 for info in session.classes.values())
    classes.carry_out(0.0, {A}, unchoked=set(), seeding=False)
    assert seen(session, classes) == {A: (2, False), B: (1, True), C: (1, True)}
    # One slot for A, one kept for libtorrent's optimistic unchoke.
    assert session.settings["unchoke_slots_limit"] == 2
    # B is chosen instead while A is still unchoked: A stays in sight to be
    # choked, and the choker gets one slot fewer than it would.
    classes.carry_out(1.0, {B}, unchoked={A}, seeding=False)
    assert seen(session, classes) == {A: (1, False), B: (2, False), C: (1, True)}
    assert session.settings["unchoke_slots_limit"] == 1
    assert not classes.settled(B, 1.0 + SETTLE_S / 2) and classes.settled(B, 1.0 + SETTLE_S)
    classes.carry_out(2.0, {B}, unchoked={B}, seeding=False)
    assert seen(session, classes)[A] == (1, True)
    assert session.settings["unchoke_slots_limit"] == 2
    # A seed leaves the choice to libtorrent's round robin.
    classes.carry_out(3.0, {B}, unchoked={B}, seeding=True)
    assert set(seen(session, classes).values()) == {(1, False)}
    assert session.settings["unchoke_slots_limit"] == UNCHOKES["tit-for-tat"]


def test_a_strict_peer_needs_a_peer_class_per_neighbour():
    with pytest.raises(ValueError, match="at most 29"):
        NeighbourClasses(FakeSession(), [f"10.0.0.{i}" for i in range(30)])


def test_choke_events_are_the_changes_between_two_records():
    assert choke_event(None, (True, False)) is None
    assert choke_event(None, (False, False)) == "unchoke"
    assert choke_event((True, False), (False, True)) == "optimistic-unchoke"
    assert choke_event((False, True), (False, False)) is None    # promoted: still unchoked
    assert choke_event((False, False), (True, False)) == "choke"
    assert choke_event((True, False), (True, False)) is None


class FakeTorrent:
    """What new_requests reads of a libtorrent handle."""

    def __init__(self, queue, availability, neighbours):
        self.queue, self.availability, self.neighbours = queue, availability, neighbours

    def get_download_queue(self):
        return [{"piece_index": i, "blocks": [{"peer": ("", 0)}, {"peer": (ip, 6881)}]}
                for i, ip in self.queue]

    def piece_availability(self):
        return self.availability

    def get_peer_info(self):
        class Peer:
            def __init__(self, ip, pieces):
                self.ip, self.pieces = (ip, 6881), pieces
        return [Peer(ip, pieces) for ip, pieces in self.neighbours.items()]


def test_a_request_is_logged_once_with_the_rarity_of_what_its_neighbour_offered():
    held = [True, False, False, False, False]
    handle = FakeTorrent(queue=[(3, "10.0.0.7")], availability=[5, 1, 4, 2, 3],
                         neighbours={"10.0.0.7": [True, False, True, True, True]})
    requested: set[int] = set()
    [row] = new_requests(handle, held, requested)
    # Piece 1 is rarer, but the neighbour asked has not got it; piece 0 is held.
    assert row == {"kind": "request", "piece": 3, "neighbour": "10.0.0.7",
                   "availability": 2, "detail": "4 2 3"}
    assert new_requests(handle, held, requested) == []
    handle.queue.append((4, "10.0.0.7"))
    [later] = new_requests(handle, held, requested)
    assert later["piece"] == 4 and later["detail"] == "4 3"   # 3 is in flight


def test_rate_limits_are_in_bytes_per_second():
    settings = session_settings("10.0.0.5", upload_kbps=1000, download_kbps=8)
    assert settings["upload_rate_limit"] == 125_000 and settings["download_rate_limit"] == 1000


def test_the_swarm_file_and_its_info_hash_are_the_same_on_every_run():
    one = torrent.make(300_000, seed=3, piece_kb=256, announce="http://10.0.0.1:6969/announce")
    two = torrent.make(300_000, seed=3, piece_kb=256, announce="http://10.0.0.9:6969/announce")
    other = torrent.make(300_000, seed=4, piece_kb=256, announce="http://10.0.0.1:6969/announce")
    assert one.info_hash == two.info_hash != other.info_hash  # the tracker is not hashed
    assert len(one.info_hash) == 40 and len(one.data) == 300_000
    import libtorrent as lt
    info = lt.torrent_info(lt.bdecode(one.torrent))
    assert info.piece_length() == 256 * 1024 and info.num_pieces() == 2
    assert not info.info_hashes().has_v2()  # v1 only, as opentracker's whitelist wants


def test_pieces_hashed_in_memory_are_those_libtorrent_hashes_from_the_file(tmp_path):
    import libtorrent as lt
    made = torrent.make(600_000, seed=5, piece_kb=256, announce="http://10.0.0.1:6969/announce")
    (tmp_path / torrent.FILE_NAME).write_bytes(made.data)
    creator = lt.create_torrent(lt.list_files(str(tmp_path / torrent.FILE_NAME)), 256 * 1024,
                                flags=lt.create_torrent.v1_only)
    creator.add_tracker("http://10.0.0.1:6969/announce")
    lt.set_piece_hashes(creator, str(tmp_path))
    # The info dictionary (what the info-hash covers); the creation date may differ.
    assert creator.generate()[b"info"] == lt.bdecode(made.torrent)[b"info"]


def test_the_tracker_whitelists_the_swarm_it_tracks(tmp_path):
    ctx = HostContext(name="tracker", host="tracker", ip="10.0.0.1", home=tmp_path / "t",
                      params={"file_bytes": 100_000})
    ctx.home.mkdir()
    files = OpenTracker().config(ctx)
    made = torrent.make(100_000, 1, torrent.DEFAULT_PIECE_KB, announce_url("10.0.0.1"))
    assert files[ctx.path("whitelist")] == made.info_hash + "\n"
    assert files[ctx.path("swarm", "shared.torrent")] == made.torrent
    assert not list(tmp_path.rglob("*.torrent"))    # config writes nothing itself
    argv = OpenTracker().command(ctx)
    assert argv[argv.index("-w") + 1] == "whitelist"  # relative to its chroot, -d
    assert argv[argv.index("-d") + 1] == str(ctx.home) and "root" not in argv


@pytest.mark.parametrize("n, cs_hours, p2p_hours", [(1, 0.1, 0.1), (10, 1.0, 0.5),
                                                    (30, 3.0, 0.75)])
def test_the_bounds_of_the_slides_example(n, cs_hours, p2p_hours):
    """F/u = 1 hour, u_s = 10u, d_min = u_s: at N = 30, 3 hours against 0.75."""
    from orchestrator.experiment.models.distribution import cs_bound_s, p2p_bound_s

    u, f = 1.0, 3600.0
    u_s = d_min = 10 * u
    assert cs_bound_s(n, f, u_s, d_min) / 3600 == pytest.approx(cs_hours)
    assert p2p_bound_s(n, f, u_s, d_min, [u] * n) / 3600 == pytest.approx(p2p_hours)
