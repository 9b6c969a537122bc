"""The controller's port counters as a second measure of a link: samples
from its records, bytes over a window, and agreement with the counters."""
import pytest

from orchestrator.experiment.metrics import LinkGroup, Sample, utilisation_series
from orchestrator.experiment.portstats import agreement, bytes_between, port_samples

GROUP = LinkGroup("lan", read_netdev=str, interfaces=["lan-eth1", "lan-eth2"], down_mbps=8.0,
                  up_mbps=8.0)


def record(t, port, rx, tx, dpid=7):
    return {"dpid": dpid, "port": port, "t": t, "rx_bytes": rx, "tx_bytes": tx,
            "rx_packets": 0, "tx_packets": 0}


def test_a_poll_sums_the_monitored_ports_and_incomplete_polls_are_left_out():
    records = [{"event": "connected", "dpid": 7, "t": 0.5},
               record(1.0, 1, 100, 1000), record(1.0, 2, 10, 500), record(1.0, 3, 9, 9),
               record(2.0, 1, 200, 3000),                       # port 2 did not answer
               record(3.0, 1, 300, 4000), record(3.0, 2, 20, 1500),
               record(3.0, 1, 999, 999, dpid=8)]                # another switch
    samples = port_samples(records, GROUP, dpid=7, ports=[1, 2])
    assert [(s.time, s.bytes["lan"]) for s in samples] == [(1.0, (110, 1500)),
                                                           (3.0, (320, 5500))]


def series(points):
    """Rows of a counter series from (time, rx, tx) cumulative points."""
    samples = [Sample(t, {"lan": (rx, tx)}) for t, rx, tx in points]
    return utilisation_series(samples, GROUP)


def test_bytes_between_interpolates_inside_a_sample_interval():
    rows = series([(10.0, 0, 0), (11.0, 100, 1000), (12.0, 300, 3000)])
    assert bytes_between(rows, 10.5, 11.5) == pytest.approx((1500, 150))
    assert bytes_between(rows, 9.0, 11.0) is None      # before the first sample


def test_two_measures_sampled_at_other_moments_agree_on_a_steady_rate():
    counters = series([(t, 100 * t, 1000 * t) for t in range(0, 11)])
    ports = series([(t + 0.3, 100 * (t + 0.3), 1000 * (t + 0.3)) for t in range(-1, 11)])
    found = agreement(counters, ports, 1.0, 9.0)
    assert found["counters_down_bytes"] == pytest.approx(8000)
    assert found["relative_difference"] == pytest.approx(0.0, abs=1e-9)


def test_a_measure_that_counts_three_percent_more_differs_by_that():
    counters = series([(t, 100 * t, 1000 * t) for t in range(0, 11)])
    ports = series([(t, 103 * t, 1000 * t) for t in range(0, 11)])
    assert agreement(counters, ports, 0.0, 10.0)["relative_difference"] == pytest.approx(0.03)
