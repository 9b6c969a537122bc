"""A scenario's run evaluated against its spec's checks, and written out:
the checks judged as the bands say, one not measured shown as such, the
printed table in the model's order, and run.json reading back the same run."""
import dataclasses
import json
from pathlib import Path

from orchestrator.experiment import spec
from orchestrator.experiment.report import (
    detail_lines,
    evaluate_scenario,
    fmt,
    table,
    write_scenario,
)
from orchestrator.experiment.result import RunResult, WorkloadRun

FOLDER = Path(__file__).resolve().parents[3] / "integration" / "experiments" / "uppercase"
ECHO_RTT_S = 0.020     # the folder's pair topology: 10 ms each way on h1's link


def echo_run(rtts: list[float], wrong: int = 0) -> RunResult:
    rows = [{"client": "h1", "sent": "hi", "reply": "HI" if i >= wrong else "hi",
             "rtt_s": rtt} for i, rtt in enumerate(rtts)]
    return RunResult("relay", (0.0, 5.0),
                     {"udp-uppercase-client": WorkloadRun("udp-uppercase-client",
                                                          "udp-uppercase-client", ["h1"], rows)},
                     {}, {}, [], {}, {}, {}, [])


def echo_spec():
    return spec.load(FOLDER, only=["echo"]).scenarios["echo"]


def test_the_checks_are_judged_by_the_specs_bands():
    result = evaluate_scenario(echo_spec(), echo_run([ECHO_RTT_S + 0.001] * 5))
    verdicts = {c.name: c.ok for c in result.checks}
    assert verdicts == {"replies_uppercase": True, "median_rtt": True} and result.ok
    late = evaluate_scenario(echo_spec(), echo_run([ECHO_RTT_S * 2] * 5))
    assert {c.name: c.ok for c in late.checks}["median_rtt"] is False and not late.ok


def test_a_check_the_run_did_not_measure_fails_and_says_so():
    result = evaluate_scenario(echo_spec(), echo_run([]))
    check = {c.name: c for c in result.checks}["median_rtt"]
    assert check.measured is None and check.ok is False


def test_the_table_lists_quantities_in_the_models_order():
    result = evaluate_scenario(echo_spec(), echo_run([ECHO_RTT_S] * 3, wrong=1))
    printed = table({"echo": result})
    assert list(printed.columns[1].cells) == ["replies_uppercase", "median_rtt"]
    assert list(printed.columns[2].cells) == [fmt(2 / 3), fmt(ECHO_RTT_S)]


def test_detail_lines_come_from_the_scenarios_model_and_name_the_scenario():
    result = evaluate_scenario(echo_spec(), echo_run([ECHO_RTT_S] * 3))
    models = echo_spec().catalogue.models
    said = dataclasses.replace(models["uppercase"],
                               report_lines=lambda details: [f"{details['sent']} sent"])
    assert detail_lines({"echo": result}, {**models, "uppercase": said}) == ["echo: 3 sent"]
    assert detail_lines({"echo": result}, models) == []   # a model with nothing to say


def test_run_json_reads_back_the_same_run(tmp_path):
    loaded = echo_spec()
    result = evaluate_scenario(loaded, echo_run([ECHO_RTT_S] * 2))
    write_scenario(tmp_path, loaded, result)
    assert RunResult.from_dict(json.loads((tmp_path / "run.json").read_text())) == result.run
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["model"] == "uppercase" and len(summary["checks"]) == 2
    assert (tmp_path / "requests.csv").read_text().splitlines()[0] == "client,sent,reply,rtt_s"
