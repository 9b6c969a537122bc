"""BitTorrent roles: a peer's session stays inside the emulation, the swarm's
torrent is the same on every run, the tracker whitelists it, and a file
client checks its copy."""

import hashlib

import pytest

from services.base import HostContext
from services.p2p import peer, torrent
from services.p2p.peer import (
    LISTEN_PORT,
    OPTIMISTIC_UNCHOKE_NEVER_S,
    SETTLE_S,
    STRICT_UNCHOKE_INTERVAL_S,
    UNCHOKES,
    NeighbourClasses,
    copy_intact,
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


def test_a_peer_that_finished_since_its_status_was_read_logs_no_request():
    # Its last pieces were still in the queue; libtorrent keeps no availability for a seed.
    handle = FakeTorrent(queue=[(4, "10.0.0.7")], availability=[],
                         neighbours={"10.0.0.7": [True] * 5})
    assert new_requests(handle, [True, True, True, True, False], set()) == []


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


def test_a_copy_counts_once_its_writes_reach_the_disk_and_a_wrong_one_never(tmp_path,
                                                                           monkeypatch):
    monkeypatch.setattr(peer, "WRITTEN_WITHIN_S", 0.5)
    copy, whole = tmp_path / "shared.bin", b"the file"
    copy.write_bytes(b"the f")
    flushes = []

    def flush():        # the second flush writes the rest
        flushes.append(1)
        if len(flushes) == 2:
            copy.write_bytes(whole)

    expected = hashlib.sha256(whole).hexdigest()
    assert copy_intact(copy, expected, flush) and len(flushes) == 2
    copy.write_bytes(b"corrupt!")
    assert not copy_intact(copy, expected, lambda: None)
