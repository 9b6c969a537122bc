"""Mininet with every pid recorded, and the wait for a network's ports to go."""
import pytest

from orchestrator.emulation.recorded import (
    PORTS_DELETED_AT_ONCE,
    PORTS_GONE_POLL_S,
    PORTS_STALLED_S,
    ports_left_after,
)
from tests.unit.clock import FakeClock


def ports(first: int, last: int) -> set[str]:
    return {f"s1-eth{k}" for k in range(first, last + 1)}


def test_ports_are_waited_for_while_they_keep_going():
    """Namespaces end in batches: the wait lasts while ports go, and stops
    PORTS_STALLED_S after the last went, leaving those a socket holds."""
    many = PORTS_DELETED_AT_ONCE + 20
    clock = FakeClock()
    # (from this time on, these ports are left)
    timeline = [(0.0, ports(1, 3 * many)), (0.2, ports(1, 2 * many)), (0.4, ports(1, many))]

    def ports_now():
        return next(left for at, left in reversed(timeline) if clock() >= at)

    assert ports_left_after(ports_now, clock=clock, sleep=clock.sleep) == ports(1, many)
    assert clock() == pytest.approx(0.4 + PORTS_STALLED_S, abs=2 * PORTS_GONE_POLL_S)

    clock = FakeClock()
    timeline = [(0.0, ports(1, many)), (0.1, set())]
    assert ports_left_after(ports_now, clock=clock, sleep=clock.sleep) == set()
    assert clock() == pytest.approx(0.1, abs=2 * PORTS_GONE_POLL_S)


def test_a_few_ports_are_not_waited_for():
    clock = FakeClock()
    assert ports_left_after(lambda: ports(1, 3), clock=clock, sleep=clock.sleep) == ports(1, 3)
    assert clock() == 0.0
