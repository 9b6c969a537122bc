"""BitTorrent roles: a peer's session stays inside the emulation, the swarm's
torrent is the same on every run, the tracker whitelists it, and a file
client checks its copy."""
import pytest

from services import torrent
from services.base import HostContext
from services.bt_peer import (
    FREE_RIDER_OPTIMISTIC_INTERVAL_S,
    LISTEN_PORT,
    UNCHOKES,
    Reciprocity,
    new_requests,
    session_settings,
)
from services.bt_tracker import OpenTracker, announce_url


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
    assert rider["optimistic_unchoke_interval"] == FREE_RIDER_OPTIMISTIC_INTERVAL_S
    assert rider["allowed_fast_set_size"] == 0


def test_a_strict_peer_opens_a_regular_slot_only_for_a_neighbour_sending_now():
    reciprocity = Reciprocity(window_s=1)
    wanting = {"a", "b", "c", "rider"}
    # Nothing received yet: the optimistic slot only.
    assert reciprocity.slots(0, {"a": 0, "b": 0}, wanting) == UNCHOKES["strict"] == 1
    assert reciprocity.slots(0.5, {"a": 100, "b": 0, "rider": 0}, wanting) == 2
    assert reciprocity.slots(1.0, {"a": 100, "b": 50, "c": 10, "rider": 0}, wanting) == 4
    # 2 s: a sent nothing since 0.5 s; b and c sent within the last second.
    assert reciprocity.slots(2.0, {"a": 100, "b": 60, "c": 20, "rider": 0}, wanting) == 3
    # A sender that does not want our pieces takes no slot.
    assert reciprocity.slots(2.5, {"a": 100, "b": 70, "c": 30}, {"a"}) == 1


def test_a_strict_peer_has_at_most_the_slides_four_regular_slots():
    reciprocity = Reciprocity(window_s=1)
    reciprocity.slots(0, {}, set())
    senders = {f"p{i}": 1 for i in range(7)}
    assert reciprocity.slots(0.5, senders, set(senders)) == 5


def test_a_strict_peer_breaks_ties_by_what_a_neighbour_holds_not_by_what_it_got():
    # round robin would keep an optimistically unchoked free-rider in a slot
    # it does not earn (it ranks by what we sent it); anti-leech does not.
    assert session_settings("10.0.0.5", 0, 0, "strict")["seed_choking_algorithm"] == 2
    assert session_settings("10.0.0.5", 0, 0, "strict")["unchoke_slots_limit"] == 1


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


def test_the_swarm_file_and_its_info_hash_are_the_same_on_every_run(tmp_path):
    one = torrent.make(tmp_path / "a", 300_000, seed=3, piece_kb=256,
                       announce="http://10.0.0.1:6969/announce")
    two = torrent.make(tmp_path / "b", 300_000, seed=3, piece_kb=256,
                       announce="http://10.0.0.9:6969/announce")
    other = torrent.make(tmp_path / "c", 300_000, seed=4, piece_kb=256,
                         announce="http://10.0.0.1:6969/announce")
    assert one.info_hash == two.info_hash != other.info_hash  # the tracker is not hashed
    assert len(one.info_hash) == 40 and one.data.stat().st_size == 300_000
    import libtorrent as lt
    info = lt.torrent_info(str(one.torrent))
    assert info.piece_length() == 256 * 1024 and info.num_pieces() == 2
    assert not info.info_hashes().has_v2()  # v1 only, as opentracker's whitelist wants


def test_the_tracker_whitelists_the_swarm_it_tracks(tmp_path):
    ctx = HostContext(name="tracker", host="tracker", ip="10.0.0.1", home=tmp_path / "t",
                      params={"file_bytes": 100_000})
    ctx.home.mkdir()
    files = OpenTracker().config(ctx)
    made = torrent.make(tmp_path / "again", 100_000, 1, torrent.DEFAULT_PIECE_KB,
                        announce_url("10.0.0.1"))
    assert files[ctx.path("whitelist")] == made.info_hash + "\n"
    assert (ctx.path("swarm", "shared.torrent")).exists()
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
