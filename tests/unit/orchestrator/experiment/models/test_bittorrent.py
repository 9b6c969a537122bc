"""The BitTorrent model on hand-made peer records: who stayed and finished,
which pieces were lost, how rare the requested pieces were, whether regular
unchokes went to the top givers, who fed a free-rider, whether libtorrent
unchoked whom the leechers' chokers chose, and the choke events."""
from orchestrator.experiment.models.bittorrent import Swarm

ADDRESS = {"seed": "10.0.0.2", "a": "10.0.0.3", "b": "10.0.0.4", "rider": "10.0.0.5"}


def row(kind, client, time, **fields):
    return {"kind": kind, "client": client, "time": str(100.0 + time), **fields}


def swarm(rows, leechers=("a", "b", "rider"), riders=("rider",)) -> Swarm:
    return Swarm(rows, list(leechers), list(riders), {ip: h for h, ip in ADDRESS.items()})


def neighbour(client, time, other, *, down=0.0, choked="0", optimistic="0",
              interested="1", sent=0):
    return row("neighbour", client, time, neighbour=ADDRESS[other], down_bps=str(down),
               up_bps="0", choked_by_us=choked, optimistic=optimistic, interested=interested,
               detail=f"0 {sent}")


def test_a_leecher_stopped_by_the_timeline_is_not_counted_and_lost_pieces_are_named():
    rows = [row("started", h, 0) for h in ("seed", "a", "b")]
    rows += [row("progress", "seed", t, pieces="111", detail="0") for t in range(3)]
    rows += [row("left", "seed", 3, detail="stopped")]
    rows += [row("progress", "a", t, pieces="110", detail="0") for t in range(6)]
    rows += [row("progress", "b", t, pieces="100", detail="0") for t in range(2)]
    rows += [row("left", "b", 2, detail="stopped"), row("left", "a", 6, detail="deadline")]
    model = swarm(rows, leechers=("a", "b"), riders=())
    assert model.stayed() == ["a"] and model.complete_share() == 0.0
    assert model.lost_pieces() == [2]
    assert model.availability_series()[0] == (0.0, [3, 2, 1])
    assert model.availability_series()[-1] == (5.0, [1, 1, 0])


def test_requests_rarer_than_a_random_pick_after_the_random_first_pieces():
    rows = [row("started", "a", 0)]
    # The first four are libtorrent's random picks, left out.
    rows += [row("request", "a", t, piece=str(t), availability="9", detail="1 9")
             for t in range(4)]
    rows += [row("request", "a", 5, piece="7", availability="1", detail="1 2 3"),
             row("request", "a", 6, piece="8", availability="3", detail="2 3 4"),
             row("request", "a", 7, piece="9", availability="2", detail="2")]   # no choice
    ratio, rarest, by_chance, choices = swarm(rows).rarity_of_requests()
    assert ratio == (1 / 2 + 3 / 3) / 2 and rarest == 0.5
    assert by_chance == (1 / 3 + 1 / 3) / 2     # one rarest among three, twice
    assert choices == 2


def test_regular_unchokes_are_matched_against_the_givers_of_the_round_before():
    rows = [row("started", "a", 0)]
    rows += [neighbour("a", t, "b", down=200e3, choked="1") for t in range(10)]
    rows += [neighbour("a", t, "rider", down=0.0, choked="1") for t in range(10)]
    # At 10 s "a" holds b (a giver) and the rider (never a giver) in regular slots.
    rows += [neighbour("a", 10, "b"), neighbour("a", 10, "rider")]
    assert swarm(rows).top_giver_agreement() == 0.5


def test_what_a_free_rider_got_is_split_by_how_its_senders_had_it_unchoked():
    rows = [row("started", "a", 0), row("completed", "a", 20, intact="True")]
    rows += [neighbour("a", 0, "rider", sent=0),
             neighbour("a", 1, "rider", sent=1000),                  # regular, 0-1 s
             neighbour("a", 2, "rider", optimistic="1", sent=1000),  # regular, 1-2 s
             neighbour("a", 3, "rider", sent=3000),                  # optimistic, 2-3 s
             neighbour("a", 4, "rider", choked="1", sent=3500),
             neighbour("a", 5, "rider", sent=3600),                  # choked: a tail
             neighbour("a", 20, "rider", sent=3600),
             neighbour("a", 21, "rider", sent=4000),                 # finished: a seed
             neighbour("seed", 1, "rider", sent=100),
             neighbour("seed", 2, "rider", sent=600)]
    got = swarm(rows).received_by_state("rider")
    assert got == {"seed": 8 * (400 + 500), "regular": 8 * (1000 + 500),
                   "optimistic": 8 * 2000}


def test_how_long_a_peer_held_optimistic_slots_is_against_the_mean_recipient():
    rows = [neighbour("a", t, "rider", optimistic="1") for t in range(3)]
    rows += [neighbour("b", 0, "a", optimistic="1"),
             neighbour("b", 1, "a"),                        # promoted: a regular slot
             neighbour("seed", 0, "b", optimistic="1")]     # a seed's unchokes do not count
    assert swarm(rows).optimistic_hold("rider") == 3 / ((3 + 1) / 2)
    assert swarm(rows).optimistic_hold("b") == 0


def test_what_a_peer_sent_adds_up_over_its_runs():
    rows = [row("progress", "rider", t, pieces="0", detail=str(sent))
            for t, sent in enumerate((0, 500, 900, 0, 300))]
    assert swarm(rows).sent_bits("rider") == 8 * (900 + 300)


def test_a_choice_counts_as_carried_out_when_libtorrent_unchoked_exactly_the_chosen():
    rows = [row("started", "a", 0)]
    # Chosen and unchoked; chosen but choked; unchoked but not chosen; neither
    # (does not count); not settled yet (does not count); not interested.
    rows += [neighbour("a", 1, "b", choked="0") | {"chosen": "1"},
             neighbour("a", 2, "b", choked="1") | {"chosen": "1"},
             neighbour("a", 3, "rider", choked="0") | {"chosen": "0"},
             neighbour("a", 4, "rider", choked="1") | {"chosen": "0"},
             neighbour("a", 5, "rider", choked="0") | {"chosen": ""},
             neighbour("a", 6, "b", choked="0", interested="0") | {"chosen": "0"}]
    assert swarm(rows).choices_carried_out() == 1 / 3
    assert swarm([r | {"chosen": ""} for r in rows]).choices_carried_out() is None


def test_choke_events_are_counted_by_kind():
    rows = [row("started", "a", 0), row("optimistic-unchoke", "a", 1, neighbour="10.0.0.5"),
            row("choke", "a", 31, neighbour="10.0.0.5"), row("unchoke", "a", 2),
            row("unchoke", "a", 3)]
    assert swarm(rows).choke_events() == {"choke": 1, "unchoke": 2, "optimistic-unchoke": 1}
