from pathlib import Path

import pytest

from orchestrator.experiment.models import access_link as model
from orchestrator.experiment.models.base import Quantity, evaluate
from orchestrator.experiment.result import LinkSeries, RunResult, WorkloadRun
from orchestrator.experiment.spec import CheckSpec, load

ACCESS_LINK = Path(__file__).resolve().parents[5] / "experiments" / "access-link.yaml"


def inputs(**kw):
    base = dict(rate_per_s=15, access_bw_mbps=1.54, lan_bw_mbps=1000, internet_rtt_s=2.0,
                wire_bits=100_000, hot_fraction=0.4, cached=False, hit_rate=0.0,
                new_connection_fraction=0.0)
    return model.Inputs(**{**base, **kw})


MEASURED = model.Measured(access_utilisation=0.5, lan_utilisation=0.001, mean_delay_s=1.0,
                          delay_growth=0.0, hit_rate=None)


def by_name(quantities):
    return {q.name: q for q in quantities}


def test_the_slide_numbers_come_out_of_the_model():
    assert model.utilisation(15, 100_000, 1.54) == pytest.approx(0.974, abs=5e-4)
    assert model.utilisation(15, 100_000, 154) == pytest.approx(0.0097, abs=1e-4)
    assert model.utilisation(15 * 0.6, 100_000, 1.54) == pytest.approx(0.584, abs=5e-4)
    assert model.utilisation(15, 100_000, 1000) == pytest.approx(0.0015)


def test_md1_wait_and_instability():
    assert model.md1_wait_s(0.5, 0.1) == pytest.approx(0.05)
    assert model.md1_wait_s(1.0, 0.1) is None


def test_cache_scenario_mean_delay_follows_the_stated_model():
    i = inputs(cached=True, hit_rate=0.4, new_connection_fraction=0.05)
    q = by_name(model.predict(i, MEASURED))
    rho = 9 * 100_000 / 1.54e6
    service = 100_000 / 1.54e6
    miss = 2.0 * 1.05 + service + rho / (2 * (1 - rho)) * service
    assert q["access_utilisation"].predicted == pytest.approx(rho)
    assert q["mean_delay"].predicted == pytest.approx(0.6 * miss + 0.4 * 100_000 / 1e9)
    assert q["hit_rate"].predicted == 0.4


def test_the_slides_number_comes_from_the_spec_and_may_stand_unjudged():
    quantity = Quantity("hit_rate", 0.41, 0.4, "", "why")
    judged = evaluate(quantity, CheckSpec(tolerance=0.05, textbook=0.4))
    shown = evaluate(quantity, CheckSpec(textbook=0.4))
    assert judged.ok is True and judged.textbook == 0.4
    assert shown.ok is None and shown.textbook == 0.4 and shown.tolerance == ""


def test_saturated_link_has_no_mean_prediction_but_a_growth_rate():
    q = by_name(model.predict(inputs(wire_bits=110_000), MEASURED))
    assert q["mean_delay"].predicted is None
    assert q["delay_growth"].predicted == pytest.approx(15 * 110_000 / 1.54e6 - 1)
    assert "hit_rate" not in q


def test_faster_link_scenario():
    q = by_name(model.predict(inputs(access_bw_mbps=154), MEASURED))
    assert q["access_utilisation"].predicted == pytest.approx(0.0097, abs=1e-4)
    assert q["mean_delay"].predicted == pytest.approx(2.0, abs=0.01)


@pytest.mark.parametrize("bounds, measured, ok", [
    (CheckSpec(tolerance=0.05), 0.62, True),
    (CheckSpec(tolerance=0.05), 0.66, False),
    (CheckSpec(tolerance_rel=0.15), 0.68, True),
    (CheckSpec(tolerance_rel=0.15), 0.70, False),
    (CheckSpec(min=0.93), 0.95, True),
    (CheckSpec(min=0.93), 0.90, False),
    (CheckSpec(max=0.02), 0.01, True),
    (CheckSpec(max=0.02), None, False),
])
def test_evaluate(bounds, measured, ok):
    check = evaluate(Quantity("x", measured, 0.6, "", "why"), bounds)
    assert check.ok is ok and check.explanation == "why"


def test_from_run_reads_services_counters_and_requests():
    spec = load(ACCESS_LINK).scenarios["c"]
    start = 1000.0
    settled = start + 2 * 2.0 + model.SETTLE_S
    access = [{"time": start + t, "interval_s": 1.0, "down": 0.6,
               "queue_delay_s": 0.03 * (t - 5), "queue_drops": t} for t in range(1, 22)]
    lan = [{"time": start + t, "interval_s": 1.0, "down": 0.002} for t in range(1, 22)]
    rows = [{"start": start + t, "delay_s": 2.0 + t / 100, "error": "", "client": "client1"}
            for t in range(20)]
    run = RunResult(
        realizer="relay", window=(start, start + 20),
        workloads={"web-client": WorkloadRun("web-client", "web-client", ["client1"], rows)},
        services={"origin": {"wire_bits_per_response": 99_000,
                             "new_connection_fraction": 0.1},
                  "cache": {"hit_rate": 0.41, "requests": 400}},
        links={"access": LinkSeries("access", "isp", ["gw"], 1.54, 1.54, access),
               "lan": LinkSeries("lan", "lan", ["client1"], 1000, 1000, lan)},
        events=[], addresses={}, link_params={}, link_stats={}, pcaps=[])
    i, m, delays = model.from_run(spec, run)
    assert i.internet_rtt_s == 2.0 and i.cached and i.hit_rate == 0.41
    assert i.access_bw_mbps == 1.54 and i.lan_bw_mbps == 1000
    assert i.wire_bits == 99_000 and i.new_connection_fraction == 0.1
    assert m.access_utilisation == pytest.approx(0.6)
    assert m.delay_growth == pytest.approx(0.0, abs=0.01)  # a request a second, each answered
    assert settled > start
    assert delays["completed"] == 20 and m.mean_delay_s == pytest.approx(2.095)
    assert delays["growth_s_per_s"] == pytest.approx(0.01)
    assert delays["queue_drops"] == 15 and delays["queue_peak_s"] == pytest.approx(0.45)
    assert m.hit_rate_stderr == pytest.approx((0.41 * 0.59 / 400) ** 0.5)
    assert m.access_utilisation_stderr == 0.0  # a flat series


def test_standard_errors_of_a_rate_and_of_a_correlated_series():
    from orchestrator.experiment.metrics import batch_mean_stderr, binomial_stderr

    assert binomial_stderr(0.4, 100) == pytest.approx(0.049, abs=1e-3)
    assert binomial_stderr(0.4, 0) is None
    # batches of 2: means 1, 3, 5 -> stdev 2 over sqrt(3)
    assert batch_mean_stderr([0, 2, 2, 4, 4, 6], 2) == pytest.approx(2 / 3 ** 0.5)
    assert batch_mean_stderr([1, 2, 3], 2) is None  # one batch says nothing of spread


@pytest.mark.parametrize("stderr, ok", [(0.05, True), (0.01, False), (None, False)])
def test_a_band_of_sigmas_widens_with_the_samples_own_error(stderr, ok):
    # 0.72 against 0.64: 0.08 off; 0.03 + 2σ allows it when σ = 0.05, not 0.01
    quantity = Quantity("access_utilisation", 0.72, 0.64, "", "why", stderr=stderr)
    check = evaluate(quantity, CheckSpec(tolerance=0.03, sigmas=2, combine="sum"))
    assert check.ok is ok
    if stderr == 0.05:
        assert check.tolerance == "±(0.03 + 2σ) = ±0.13"


def test_backlog_growth_follows_arrivals_minus_departures():
    from orchestrator.experiment.metrics import backlog_growth, outstanding_requests

    # 2 requests a second, answered at 1.5 a second: the backlog grows by 0.5/s,
    # so a new request waits 0.5/1.5 s longer each second.
    rows = [{"start": k / 2, "delay_s": (k / 1.5) - (k / 2) + 0.1, "error": ""}
            for k in range(200)]
    assert outstanding_requests(rows, [0.0, 10.0]) == [1, 6]
    assert backlog_growth(rows, 5, 60, service_rate_per_s=1.5) == pytest.approx(1 / 3, rel=0.05)
    rows.append({"start": 30.0, "delay_s": 1.0, "error": "unfinished"})
    assert outstanding_requests(rows, [40.0])[0] == outstanding_requests(rows[:-1], [40.0])[0] + 1


@pytest.mark.parametrize("measured, ok", [(1.14, True), (1.2, True), (1.21, False)])
def test_relative_or_rtt_tolerance_takes_the_larger(measured, ok):
    # 15 % of 1.0 s is 0.15 s, one RTT is 0.2 s: the RTT wins.
    quantity = Quantity("plt", measured, 1.0, "s", "why", rtt_s=0.2)
    assert evaluate(quantity, CheckSpec(tolerance_rel=0.15, tolerance_rtts=1)).ok is ok


@pytest.mark.parametrize("measured, ok", [(0.66, True), (1.349, True), (1.351, False)])
def test_relative_and_rtt_tolerance_can_add_up(measured, ok):
    # 15 % of 1.0 s plus one RTT of 0.2 s: 0.35 s either way.
    quantity = Quantity("plt", measured, 1.0, "s", "why", rtt_s=0.2)
    check = evaluate(quantity, CheckSpec(tolerance_rel=0.15, tolerance_rtts=1, combine="sum"))
    assert check.ok is ok and check.tolerance == "±(15% + 1 RTT) = ±0.35"
