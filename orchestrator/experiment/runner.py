"""Running an experiment: every scenario in turn, then the report."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from orchestrator.emulation.linktest import run_linktest
from orchestrator.experiment.manifest import new_run_dir, now_iso, write_manifest
from orchestrator.experiment.report import (
    ScenarioResult,
    detail_lines,
    evaluate_scenario,
    plot,
    table,
    write_scenario,
)
from orchestrator.experiment.scenario import ScenarioRun, write_json
from orchestrator.experiment.spec import Experiment
from topologies.params import parse_link

# Links worth calibrating: a delay, or a rate low enough to be a bottleneck.
CALIBRATE_BELOW_MBPS = 1000


def calibrate(experiment: Experiment, run_dir: Path, console: Console) -> dict:
    """Measure each constrained link of the first scenario on its own, as
    `applab linktest` does, for the manifest."""
    spec = next(iter(experiment.scenarios.values()))
    calibration = {}
    for key, link in spec.topology.params.items():
        if not (key == "link" or key.endswith("_link")) or not isinstance(link, dict):
            continue
        directions = parse_link(key, link)  # validated already: values in Mb/s and ms
        shaped = any(d.bw_mbps is not None and d.bw_mbps < CALIBRATE_BELOW_MBPS
                     for d in (directions.up, directions.down))
        if not shaped and not directions.impaired:
            continue
        result = run_linktest(link, run_dir / "calibration" / key, realizer=spec.realizer,
                              goodput=shaped)
        calibration[key] = {"link": link, "realizer": result.realizer,
                            "rtt_ms": result.rtt_ms, "goodput_mbps": result.goodput_mbps}
        goodput = result.goodput_mbps["measured"]
        console.print(f"  calibrated {key}: RTT {result.rtt_ms['median']:.1f} ms "
                      f"(configured {result.rtt_ms['configured']:.1f})"
                      + (f", TCP goodput {goodput:.3f} Mb/s" if goodput else ""))
    return calibration


def _progress(console: Console):
    """A progress bar for a scenario's workloads: yields show(elapsed_s, status)."""
    @contextmanager
    def bar(spec):
        columns = [TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                   TextColumn("{task.fields[status]}")]
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task(f"scenario {spec.scenario}: workload",
                                     total=spec.duration_s, status="")

            def show(elapsed: float, status: str) -> None:
                progress.update(task, completed=min(elapsed, spec.duration_s), status=status)
            yield show
    return bar


def run_experiment(experiment: Experiment, out: Path, hold: bool = False,
                   console: Console | None = None) -> tuple[Path, dict[str, ScenarioResult]]:
    # Results are often piped to a file or CI log: give the table room there.
    console = console or Console(width=None if sys.stdout.isatty() else 120)
    run_dir = new_run_dir(Path(out).resolve(), experiment.name)
    run_dir.mkdir(parents=True)
    started = now_iso()
    console.rule(f"{experiment.name}: {experiment.title}")
    calibration = calibrate(experiment, run_dir, console)
    results: dict[str, ScenarioResult] = {}
    names = list(experiment.scenarios)
    for name in names:
        spec = experiment.scenarios[name]
        console.rule(f"scenario {name}: {spec.scenario_title}")
        run = ScenarioRun(spec, run_dir / name, console, progress=_progress(console)).execute(
            hold=hold and name == names[-1])
        results[name] = evaluate_scenario(spec, run)
        write_scenario(run_dir / name, results[name])
    first = experiment.scenarios[names[0]]
    plot(run_dir, results, first.plots)
    write_json(run_dir / "summary.json", {
        "experiment": experiment.name,
        "checks": [{**c.as_dict(), "name": f"{n}.{c.name}"}
                   for n, r in results.items() for c in r.checks],
        "scenarios": {n: r.summary() for n, r in results.items()},
    })
    realizers = sorted({r.run.realizer for r in results.values()})
    write_manifest(run_dir, experiment=experiment.name, spec_file=str(experiment.path),
                   spec=experiment.raw,
                   resolved={n: s.model_dump() for n, s in experiment.scenarios.items()},
                   realizer=realizers[0] if len(realizers) == 1 else realizers,
                   calibration=calibration, seed=first.seed, started=started,
                   finished=now_iso(),
                   pcaps={n: r.run.pcaps for n, r in results.items() if r.run.pcaps},
                   phases_s={n: r.run.phases for n, r in results.items()})
    console.print(table(results))
    for line in detail_lines(results):
        console.print(line)
    return run_dir, results
