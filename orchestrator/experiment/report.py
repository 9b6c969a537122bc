"""Results: per-scenario files (summary.json with its checks, run.json with
what was measured, CSVs) and the printed table (measured | predicted | slide)."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from rich.table import Table

from orchestrator.experiment.metrics import write_csv
from orchestrator.experiment.models import Quantity, evaluate
from orchestrator.experiment.portstats import agreement_quantity
from orchestrator.experiment.result import RunResult, ScenarioResult
from orchestrator.experiment.runfolder import RUN, SUMMARY
from orchestrator.experiment.scenario import write_json
from orchestrator.experiment.spec import ResolvedSpec


def evaluate_scenario(spec: ResolvedSpec, run: RunResult) -> ScenarioResult:
    quantities, details = spec.catalogue.models[spec.model].quantities(spec, run)
    if run.port_stats:
        agreement, details["port_stats"] = agreement_quantity(run)
        quantities = [*quantities, agreement]
    by_name = {q.name: q for q in quantities}
    checks = []
    for name, bounds in spec.checks.items():
        quantity = by_name.get(name) or Quantity(name, None, None, "",
                                                 "not measured in this scenario")
        checks.append(evaluate(quantity, bounds))
    return ScenarioResult(spec.scenario, spec.scenario_title, spec.model, quantities, checks,
                          details, run)


def summary(spec: ResolvedSpec, result: ScenarioResult) -> dict:
    run = result.run
    return {"title": result.title, "model": result.model, "realizer": run.realizer,
            "switch": spec.switch, "datapath": run.datapath,
            "controller": spec.controller.app if spec.controller else None,
            "checks": [c.as_dict() for c in result.checks],
            "quantities": [asdict(q) for q in result.quantities],
            "details": result.details, "services": run.services,
            "link_stats": run.link_stats, "window": run.window,
            "events": [e.row() for e in run.events], "phases_s": run.phases,
            "resources": run.resources}


def write_scenario(run_dir: Path, spec: ResolvedSpec, result: ScenarioResult) -> None:
    """requests.csv (every workload's rows, with the workload named where
    there are several), utilisation.csv (and utilisation_openflow.csv, by a
    controller's port counters), events.csv, a CSV for each table the model
    gives (``details["tables"]``), summary.json, and run.json: everything
    measured, for the report and for loading the run again."""
    run_dir.mkdir(parents=True, exist_ok=True)
    several = len(result.run.workloads) > 1
    write_csv(run_dir / "requests.csv",
              [{"workload": name, **row} if several else row
               for name, workload in result.run.workloads.items() for row in workload.rows])
    rows = [{"link": name, **row} for name, series in result.run.links.items()
            for row in series.rows]
    write_csv(run_dir / "utilisation.csv", rows)
    if result.run.port_stats:  # the same monitors, by the controller's port counters
        write_csv(run_dir / "utilisation_openflow.csv",
                  [{"link": name, **row} for name, series in result.run.port_stats.items()
                   for row in series.rows])
    write_csv(run_dir / "events.csv", [e.row() for e in result.run.events])
    for name, rows in result.details.get("tables", {}).items():
        write_csv(run_dir / f"{name}.csv", rows)
    write_json(run_dir / SUMMARY, summary(spec, result))
    write_json(run_dir / RUN, result.run.as_dict())


def fmt(value) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100 or value == 0:
        return f"{value:.4g}"
    return f"{value:.4f}" if abs(value) < 0.1 else f"{value:.3f}"


def table(results: dict[str, ScenarioResult]) -> Table:
    out = Table(title="measured | predicted (stated model) | slide",
                caption="; ".join(f"{n}: {r.title}" for n, r in results.items()))
    out.add_column("scenario")
    out.add_column("quantity")
    for column in ("measured", "predicted", "slide", "check", "tolerance"):
        out.add_column(column, justify="right", no_wrap=True)
    for name, result in results.items():
        checks = {c.name: c for c in result.checks}
        for q in result.quantities:   # in the order the model gives them
            check = checks.get(q.name)
            verdict = "" if check is None or check.ok is None else (
                "[green]ok[/green]" if check.ok else "[red]FAIL[/red]")
            textbook = check.textbook if check else q.textbook
            out.add_row(name, q.name, fmt(q.measured), fmt(q.predicted), fmt(textbook),
                        verdict, check.tolerance if check else "")
    return out


def detail_lines(results: dict[str, ScenarioResult], models: dict) -> list[str]:
    """What each scenario's model (from ``models``, by name) has to say
    beyond the table."""
    lines = []
    for name, result in results.items():
        model = models.get(result.model)
        if model is not None:
            lines += [f"{name}: {line}" for line in model.report_lines(result.details)]
    return lines
