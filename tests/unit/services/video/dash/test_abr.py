"""Each ABR rule on synthetic traces: what it picks as throughput or buffer
moves, against the rule's own definition."""
import pytest

from services.video.dash.abr import Bola, BufferBased, PlayerState, RateBased, highest_at_most

LADDER = (300e3, 750e3, 1.5e6, 3e6)


def state(buffer_s=0.0, throughputs=(), last=None):
    return PlayerState(LADDER, buffer_s, tuple(throughputs), last)


def test_highest_at_most_falls_back_to_the_lowest():
    assert highest_at_most(LADDER, 1.6e6) == 2
    assert highest_at_most(LADDER, 1.5e6) == 2
    assert highest_at_most(LADDER, 100e3) == 0


@pytest.mark.parametrize("bandwidth, expected", [(5e6, 3), (1.2e6, 1), (4e6, 3), (2e6, 2)])
def test_rate_based_picks_the_highest_below_the_safety_margin(bandwidth, expected):
    """The schedule 5 -> 1.2 -> 4 Mb/s with safety 0.8: 3, 0.75, 3 Mb/s."""
    rule = RateBased(safety=0.8, window=3)
    assert rule.choose(state(throughputs=[bandwidth] * 3)) == expected


def test_rate_based_starts_low_and_uses_the_harmonic_mean():
    rule = RateBased(safety=1.0, window=2)
    assert rule.choose(state()) == 0
    # Harmonic mean of 1 and 4 Mb/s is 1.6 Mb/s (the arithmetic, 2.5, would pick 1.5 too)
    assert rule.estimate_bps(state(throughputs=[9e6, 1e6, 4e6])) == pytest.approx(1.6e6)
    # An old high sample outside the window does not count.
    assert rule.choose(state(throughputs=[50e6, 1e6, 1e6])) == 1


def test_buffer_based_maps_reservoir_and_cushion():
    rule = BufferBased(reservoir_s=5, cushion_s=10)
    assert rule.choose(state(buffer_s=4)) == 0
    assert rule.choose(state(buffer_s=15)) == 3
    # Halfway through the cushion the map gives 1.65 Mb/s: 1.5 Mb/s from no history.
    assert rule.mapped_bps(state(buffer_s=10)) == pytest.approx(1.65e6)
    assert rule.choose(state(buffer_s=10)) == 2


def test_buffer_based_keeps_its_rate_until_the_map_crosses_a_neighbour():
    rule = BufferBased(reservoir_s=5, cushion_s=10)
    # 1.65 Mb/s mapped: from 750 kb/s it steps up (the next rung, 1.5, is below the map)...
    assert rule.choose(state(buffer_s=10, last=1)) == 2
    # ...from 3 Mb/s it steps down only to the lowest rung above the map
    assert rule.choose(state(buffer_s=10, last=3)) == 3
    assert rule.mapped_bps(state(buffer_s=8)) == pytest.approx(1.11e6)
    assert rule.choose(state(buffer_s=8, last=3)) == 2
    # and between its neighbours it stays.
    assert rule.choose(state(buffer_s=9, last=2)) == 2


def test_bola_climbs_with_the_buffer_from_the_lowest_to_the_highest():
    rule = Bola(minimum_buffer_s=10, target_buffer_s=20)
    picks = [rule.choose(state(buffer_s=b)) for b in range(0, 26)]
    assert picks[0] == 0 and picks[-1] == 3
    assert picks == sorted(picks)              # never down as the buffer grows
    assert set(picks) == {0, 1, 2, 3}          # every rung on the way
    # dash.js's parameters: the lowest rung's utility is 1.
    utilities, gp, v = rule.parameters(LADDER)
    assert utilities[0] == 1.0 and v == pytest.approx(10 / gp)

