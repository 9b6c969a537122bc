"""The same spec under each link realizer, side by side: netem and the TAP
relay must give the same behaviour within tolerance (docs/ARCHITECTURE.md)."""
from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from orchestrator.experiment.page import write_compare_report, write_index
from orchestrator.experiment.report import fmt
from orchestrator.experiment.result import ScenarioResult
from orchestrator.experiment.runner import run_experiment
from orchestrator.experiment.scenario import write_json
from orchestrator.experiment.spec import Experiment


def run_each_realizer(load, realizers: list[str], out: Path, console: Console,
                      ) -> tuple[dict[str, dict[str, ScenarioResult]], dict[str, Path]]:
    """Run the experiment ``load()`` gives once per realizer: each one's
    results and run folder."""
    found, runs = {}, {}
    for realizer in realizers:
        experiment: Experiment = load()
        for spec in experiment.scenarios.values():
            spec.realizer = realizer
        console.rule(f"realizer {realizer}")
        runs[realizer], found[realizer] = run_experiment(experiment, out / realizer,
                                                         console=console)
    return found, runs


def side_by_side(found: dict[str, dict[str, ScenarioResult]]) -> tuple[Table, list[dict]]:
    """One row per scenario and quantity: each realizer's measurement and
    verdict beside the prediction (that of the first realizer's run)."""
    realizers = list(found)
    table = Table(title="the same spec under each link realizer")
    for column in ("scenario", "quantity", "predicted"):
        table.add_column(column)
    for realizer in realizers:
        table.add_column(f"{realizer}", justify="right")
        table.add_column("check", justify="right")
    rows = []
    first = found[realizers[0]]
    for scenario, result in first.items():
        for quantity in result.quantities:
            row = {"scenario": scenario, "quantity": quantity.name,
                   "predicted": quantity.predicted}
            cells = []
            for realizer in realizers:
                other = found[realizer][scenario]
                measured = next((q.measured for q in other.quantities
                                 if q.name == quantity.name), None)
                check = next((c for c in other.checks if c.name == quantity.name), None)
                verdict = "" if check is None or check.ok is None else (
                    "ok" if check.ok else "FAIL")
                row[realizer] = {"measured": measured, "ok": None if check is None
                                 else check.ok}
                cells += [fmt(measured), verdict]
            rows.append(row)
            table.add_row(scenario, quantity.name, fmt(quantity.predicted), *cells)
    return table, rows


def compare(load, realizers: list[str], out: Path, console: Console) -> bool:
    """Run, print the comparison, write compare.json and report.html; True
    when every check passed under every realizer."""
    found, runs = run_each_realizer(load, realizers, out, console)
    table, rows = side_by_side(found)
    console.print(table)
    write_json(out / "compare.json", {"realizers": realizers, "rows": rows})
    console.print(f"report: {write_compare_report(out, realizers, rows, runs)}")
    write_index(out.parent)
    return all(c.ok is not False for results in found.values() for r in results.values()
               for c in r.checks)
