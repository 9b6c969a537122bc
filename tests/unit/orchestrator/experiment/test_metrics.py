"""Utilisation from byte counters, across a link whose rate changes at run
time: each part of a sample counts at the capacity then in force."""
import pytest

from orchestrator.experiment.metrics import LinkGroup, Sample, utilisation_series

OLD_MBPS, NEW_MBPS = 1.54, 15.4


def group() -> LinkGroup:
    return LinkGroup("access", lambda: "", ["isp-eth0"], OLD_MBPS, OLD_MBPS)


def bytes_at(mbps: float, seconds: float) -> int:
    return round(mbps * 1e6 * seconds / 8)


def test_a_sample_that_spans_an_upgrade_is_never_above_one():
    link = group()
    # Saturated throughout: 1.54 Mb/s for 10.3 s, then 15.4 Mb/s from the upgrade on.
    link.change_capacity(NEW_MBPS, NEW_MBPS, at=10.3)
    sent = [0, bytes_at(OLD_MBPS, 10.0), bytes_at(OLD_MBPS, 10.3) + bytes_at(NEW_MBPS, 0.7),
            bytes_at(OLD_MBPS, 10.3) + bytes_at(NEW_MBPS, 1.7)]
    times = (0.0, 10.0, 11.0, 12.0)
    samples = [Sample(t, {"access": (0, tx)}) for t, tx in zip(times, sent, strict=True)]
    rows = utilisation_series(samples, link)
    assert [r["down"] for r in rows] == pytest.approx([1.0, 1.0, 1.0], abs=1e-6)
    # Each row names the capacity in force at its end.
    assert [r["down_mbps"] for r in rows] == [OLD_MBPS, NEW_MBPS, NEW_MBPS]


def test_capacity_before_and_after_a_change():
    link = group()
    link.change_capacity(NEW_MBPS, 2.0, at=5.0)
    assert link.capacity_at(4.9) == (OLD_MBPS, OLD_MBPS)
    assert link.capacity_at(5.0) == (NEW_MBPS, 2.0)
    assert (link.down_mbps, link.up_mbps) == (NEW_MBPS, 2.0)
    down, up = link.capacity_bits(4.0, 6.0)
    assert down == pytest.approx((OLD_MBPS + NEW_MBPS) * 1e6)
    assert up == pytest.approx((OLD_MBPS + 2.0) * 1e6)
