"""A run as the report reads it, made up: what an access-link scenario's
folder holds, for the report's and the plots' tests."""
import json

from orchestrator.experiment.result import EventRecord, LinkSeries, RunResult, WorkloadRun

START = 1000.0


def measured_run() -> RunResult:
    """Ten seconds of an access link: utilisation per second, and requests."""
    rows = [{"time": START + t, "down": 0.5 + 0.01 * t, "up": 0.01} for t in range(10)]
    requests = [{"client": "client1", "start": START + t / 2, "delay_s": 0.3 + 0.01 * t}
                for t in range(20)]
    return RunResult(
        realizer="relay", window=(START, START + 10),
        workloads={"web-client": WorkloadRun("web-client", "web-client", ["client1"],
                                             requests)},
        services={}, links={"access": LinkSeries("access", "isp", ["gw"], 1.54, 1.54, rows)},
        events=[EventRecord(5.0, "link_set", "isp-gw", "upgrade", happened_s=5.1)],
        addresses={"client1": "10.1.0.2"}, link_params={}, link_stats={}, pcaps=[])


CHECKS = [{"name": "access_utilisation", "measured": 0.55, "predicted": 0.6, "tolerance": "±0.1",
           "unit": "", "ok": True, "explanation": "λW/R", "textbook": 0.58},
          {"name": "mean_delay", "measured": 0.4, "predicted": 2.0, "tolerance": "±10%",
           "unit": "s", "ok": False, "explanation": "M/D/1", "textbook": 1.2}]


def run_folder(tmp_path, scenarios=("c",), summary: str | None = None):
    """A run folder as `applab run` leaves it, for the access_link model."""
    run = measured_run()
    own = {"title": "t", "model": "access_link", "checks": CHECKS, "quantities": [],
           "details": {}}
    for name in scenarios:
        (tmp_path / name).mkdir()
        (tmp_path / name / "summary.json").write_text(json.dumps(own))
        (tmp_path / name / "run.json").write_text(json.dumps(run.as_dict()))
    (tmp_path / "manifest.json").write_text(json.dumps(
        {"experiment": "x", "resolved": {n: {"model": "access_link"} for n in scenarios}}))
    (tmp_path / "summary.json").write_text(summary if summary is not None else json.dumps(
        {"checks": CHECKS, "scenarios": {n: own for n in scenarios}}))
    return tmp_path
