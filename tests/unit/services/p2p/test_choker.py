"""The slides' choker, with its clock and random choices given to it."""
import random

from services.p2p.choker import OPTIMISTIC_UNCHOKE_INTERVAL_S, SlidesChoker, choke_event


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


def test_choke_events_are_the_changes_between_two_records():
    assert choke_event(None, (True, False)) is None
    assert choke_event(None, (False, False)) == "unchoke"
    assert choke_event((True, False), (False, True)) == "optimistic-unchoke"
    assert choke_event((False, True), (False, False)) is None    # promoted: still unchoked
    assert choke_event((False, False), (True, False)) == "choke"
    assert choke_event((True, False), (True, False)) is None
