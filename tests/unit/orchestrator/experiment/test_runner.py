"""The experiment runner's own bookkeeping: calibration reused within a boot,
and the wall time of each phase."""
import pytest

from orchestrator.experiment import runner
from orchestrator.experiment.scenario import PhaseClock
from orchestrator.experiment.spec import load
from tests.paths import ACCESS_LINK


class Result:
    realizer = "relay"
    rtt_ms = {"median": 2000.1, "configured": 2000.0}
    goodput_mbps = {"measured": 1.48}


@pytest.fixture
def measured(monkeypatch, tmp_path):
    links = []
    monkeypatch.setattr(runner, "run_linktest", lambda link, *a, **k: links.append(link)
                        or Result())
    monkeypatch.setattr(runner, "choose_realizer", lambda requested, own: "relay")
    monkeypatch.setattr(runner, "CALIBRATION_CACHE", tmp_path / "cache")
    return links


def test_calibration_is_reused_until_asked_anew(measured, tmp_path):
    experiment = load(ACCESS_LINK, only=["a"])
    quiet = runner.Console(quiet=True)
    first = runner.calibrate(experiment, tmp_path, quiet)
    assert len(measured) == 2  # the access link (shaped) and the Internet link (delayed)
    again = runner.calibrate(experiment, tmp_path, quiet)
    assert len(measured) == 2 and "cached" in again["access_link"]
    assert again["access_link"]["goodput_mbps"] == first["access_link"]["goodput_mbps"]
    runner.calibrate(experiment, tmp_path, quiet, recalibrate=True)
    assert len(measured) == 4


def test_another_realizer_or_link_is_calibrated_on_its_own():
    key = runner.calibration_key("relay", {"bw": 1.54})
    assert key != runner.calibration_key("netem", {"bw": 1.54})
    assert key != runner.calibration_key("relay", {"bw": 15.4})
    assert key == runner.calibration_key("relay", {"bw": 1.54})


def test_phases_add_up_and_overhead_is_what_is_not_workload():
    now = [0.0]
    clock = PhaseClock(clock=lambda: now[0])
    with clock.phase("bring-up"):
        now[0] += 2.0
    clock.add("workload", 80.0)
    clock.add("drain", 3.0)
    with clock.phase("bring-up"):
        now[0] += 1.0
    summary = runner.phase_summary(clock.seconds, {}, wall_s=86.0)
    assert summary["all"] == {"bring-up": 3.0, "workload": 80.0, "drain": 3.0}
    assert summary["total"] == 86.0
    assert summary["overlapped_s"] == 0.0
    assert summary["overhead_fraction"] == pytest.approx(6 / 86)


def test_phases_that_ran_beside_another_scenario_are_counted_as_overlapped():
    # Two scenarios of 80 s; the second's 5 s of preparation ran in the
    # first's window, so the wall time is 5 s less than the phases' sum.
    seconds = {"bring-up": 4.0, "warm-up": 6.0, "workload": 160.0, "teardown": 2.0}
    summary = runner.phase_summary(seconds, {}, wall_s=167.0)
    assert summary["overlapped_s"] == pytest.approx(5.0)
    assert summary["overhead_fraction"] == pytest.approx(7 / 167)
