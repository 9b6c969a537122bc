"""The same spec under each realizer, side by side: each quantity's
measurement and verdict per realizer beside the first run's prediction."""
from orchestrator.experiment.compare import side_by_side
from orchestrator.experiment.models.base import Check, Quantity
from orchestrator.experiment.result import ScenarioResult
from tests.unit.orchestrator.experiment.runs import measured_run


def scenario(measured: float, ok: bool | None) -> ScenarioResult:
    return ScenarioResult("c", "t", "access_link",
                          [Quantity("access_utilisation", measured, 0.62, "", "λW/R")],
                          [Check("access_utilisation", measured, 0.62, "±0.05", "", ok, "λW/R")],
                          {}, measured_run())


def test_each_realizers_measure_and_verdict_sit_beside_the_prediction():
    printed, rows = side_by_side({"relay": {"c": scenario(0.63, True)},
                                  "netem": {"c": scenario(0.70, False)}})
    assert rows == [{"scenario": "c", "quantity": "access_utilisation", "predicted": 0.62,
                     "relay": {"measured": 0.63, "ok": True},
                     "netem": {"measured": 0.70, "ok": False}}]
    assert [c.header for c in printed.columns] == ["scenario", "quantity", "predicted",
                                                   "relay", "check", "netem", "check"]
    assert list(printed.columns[6].cells) == ["FAIL"]
