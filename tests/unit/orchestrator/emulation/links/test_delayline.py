import math
import random

import pytest

from orchestrator.emulation.links.delayline import DelayLine, Impairment


def line(**kw):
    return DelayLine(Impairment(**kw), random.Random(7))


def test_frames_leave_after_the_delay_in_order():
    dl = line(delay_s=0.020)
    dl.offer(b"1", now=0.0)
    dl.offer(b"2", now=0.005)
    assert dl.next_due() == pytest.approx(0.020)
    assert dl.release(0.0199) == []
    assert dl.release(0.020) == [b"1"]
    assert dl.release(0.030) == [b"2"]
    assert dl.next_due() is None and len(dl) == 0


def test_zero_delay_releases_at_once():
    dl = line()
    dl.offer(b"x", now=1.0)
    assert dl.release(1.0) == [b"x"]


def test_loss_rate_matches_within_three_sigma():
    n, p = 20000, 0.10
    dl = line(loss=p)
    for i in range(n):
        dl.offer(b"f", now=i * 1e-4)
    sigma = math.sqrt(p * (1 - p) / n)
    assert abs(dl.counters.dropped_loss / n - p) <= 3 * sigma
    assert dl.counters.received == n


def test_limit_drops_when_full():
    dl = line(delay_s=1.0, limit=3)
    accepted = [dl.offer(bytes([i]), now=0.0) for i in range(5)]
    assert accepted == [True, True, True, False, False]
    assert dl.counters.dropped_queue == 2 and len(dl) == 3
    dl.release(1.0)
    assert dl.offer(b"again", now=1.0)


def test_jitter_stays_in_bounds_and_keeps_order_by_default():
    dl = line(delay_s=0.050, jitter_s=0.010, limit=5000)
    dues = []
    for i in range(2000):
        dl.offer(i.to_bytes(2, "big"), now=i * 0.001)
        dues.append(dl.next_due())
    released = []
    t = 0.0
    while len(dl):
        t += 0.0005
        released += dl.release(t)
    assert [int.from_bytes(f, "big") for f in released] == list(range(2000))
    # each frame waits delay +- jitter unless held behind its predecessor
    first_wait = dues[0] - 0.0
    assert 0.040 <= first_wait <= 0.060


def test_jitter_spread_is_uniform_like_netem():
    dl = line(delay_s=0.050, jitter_s=0.010, reorder=True)
    samples = []
    for i in range(5000):
        dl.offer(b"f", now=float(i))  # far apart: no frame waits behind another
        samples.append(dl.next_due() - i)
        dl.release(float(i) + 1.0)
    assert min(samples) >= 0.040 and max(samples) <= 0.060
    mean = sum(samples) / len(samples)
    std = math.sqrt(sum((s - mean) ** 2 for s in samples) / len(samples))
    assert mean == pytest.approx(0.050, abs=0.0005)
    assert std == pytest.approx(0.010 / math.sqrt(3), rel=0.05)  # uniform's stdev


def test_reorder_lets_a_shorter_delay_overtake():
    dl = DelayLine(Impairment(delay_s=0.05, jitter_s=0.04, reorder=True), random.Random(1))
    for i in range(200):
        dl.offer(bytes([i % 256]), now=i * 0.0001)
    out = dl.release(1.0)
    assert len(out) == 200 and out != sorted(out, key=lambda f: f[0])


def test_configure_changes_later_frames_only():
    dl = line(delay_s=0.010)
    dl.offer(b"old", now=0.0)
    dl.configure(Impairment(delay_s=0.100))
    dl.offer(b"new", now=0.001)
    assert dl.release(0.011) == [b"old"]
    assert dl.release(0.100) == []
    assert dl.release(0.101) == [b"new"]


@pytest.mark.parametrize("kw", [{"delay_s": -1}, {"loss": 1.5}, {"limit": 0}])
def test_impairment_rejects_bad_values(kw):
    with pytest.raises(ValueError):
        Impairment(**kw)


def test_impairment_from_control_message_units():
    imp = Impairment.from_message({"delay_ms": 20, "jitter_ms": 5, "loss_pct": 1, "limit": 50})
    assert imp == Impairment(delay_s=0.02, jitter_s=0.005, loss=0.01, limit=50)
