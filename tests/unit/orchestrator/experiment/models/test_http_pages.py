import pytest

from orchestrator.experiment.models.http_pages import (
    MODES,
    Bottleneck,
    Path,
    page_load,
    segments,
    slide_formula,
)

NO_BURST = 1600  # one frame: the bucket never lets a burst through


def test_bottleneck_serialises_at_its_rate_after_the_bucket_empties():
    link = Bottleneck(rate_bytes_s=1000, depth=1500)
    assert link.send(0.0, 1500) == 0.0          # the bucket pays for it
    assert link.send(0.0, 1000) == pytest.approx(1.0)
    assert link.send(0.0, 500) == pytest.approx(1.5)
    assert link.send(10.0, 1500) == 10.0        # refilled while idle


def test_segments_carry_their_headers():
    assert segments(1448) == [1514]
    assert segments(1449) == [1514, 67]


@pytest.mark.parametrize("mode", [m for m in MODES if m != "http2"])
def test_small_objects_on_a_fast_link_match_the_slide(mode):
    # Objects within the initial window, a link too fast to matter: only RTTs count.
    path = Path(rtt_s=0.1, rate_bps=1e9, burst_bytes=NO_BURST, header_bytes=0)
    predicted = page_load(mode, path, 1000, [1000] * 10, parallel=5)
    slide = slide_formula(mode, 0.1, 1e9, 1000, [1000] * 10, parallel=5)
    assert predicted == pytest.approx(slide, abs=0.002)


def test_nonpersistent_costs_two_rtts_per_object():
    path = Path(rtt_s=0.05, rate_bps=1e9, burst_bytes=NO_BURST)
    assert page_load("nonpersistent", path, 1000, [1000] * 10) == pytest.approx(11 * 0.1,
                                                                                abs=0.002)


def test_slow_start_adds_round_trips_for_large_objects():
    path = Path(rtt_s=0.1, rate_bps=1e9, burst_bytes=NO_BURST, header_bytes=0)
    one_window = page_load("nonpersistent", path, 1000, [10 * 1448])
    three_windows = page_load("nonpersistent", path, 1000, [30 * 1448])  # 10, then 20
    assert three_windows - one_window == pytest.approx(0.1, abs=0.002)


def test_bandwidth_term_on_a_slow_link():
    path = Path(rtt_s=0.001, rate_bps=1e6, burst_bytes=NO_BURST, header_bytes=0)
    body = 100 * 1448
    seconds = page_load("persistent", path, 100, [body])
    wire_bits = sum(segments(body)) * 8
    assert seconds == pytest.approx(wire_bits / 1e6, rel=0.05)


def test_parallel_beats_serial_and_pipelining_beats_both():
    path = Path(rtt_s=0.1, rate_bps=10e6, burst_bytes=62_500)
    times = {m: page_load(m, path, 2000, [10_000] * 10) for m in MODES}
    assert times["pipelined"] < times["parallel"] < times["nonpersistent"]
    assert times["persistent"] < times["nonpersistent"]
    with pytest.raises(ValueError):
        page_load("carrier-pigeon", path, 1, [1])


def test_http2_pays_one_rtt_for_nginx_nagle_hold_on_its_first_response():
    path = Path(rtt_s=0.1, rate_bps=1e9, burst_bytes=NO_BURST, header_bytes=0)
    pipelined = page_load("pipelined", path, 1000, [1000] * 10)
    assert page_load("http2", path, 1000, [1000] * 10) == pytest.approx(pipelined + 0.1)
