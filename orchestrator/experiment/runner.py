"""Running an experiment: every scenario in turn, then the report."""
from __future__ import annotations

import sys
import time
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

# Links worth calibrating: a delay, or a rate low enough to be a bottleneck.
CALIBRATE_BELOW_MBPS = 1000
PROGRESS_REFRESH_S = 0.5


def calibrate(experiment: Experiment, run_dir: Path, console: Console) -> dict:
    """Measure each constrained link of the first scenario on its own, as
    `applab linktest` does, for the manifest."""
    spec = next(iter(experiment.scenarios.values()))
    calibration = {}
    for key, link in spec.topology.params.items():
        if not (key == "link" or key.endswith("_link")) or not isinstance(link, dict):
            continue
        bw = link.get("bw")
        shaped = bw is not None and float(bw) < CALIBRATE_BELOW_MBPS
        if not shaped and not link.get("delay"):
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
    def follow(run: ScenarioRun, procs, limit: float) -> None:
        columns = [TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                   TextColumn("{task.fields[status]}")]
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task(f"scenario {run.spec.scenario}: workload",
                                     total=run.spec.duration_s, status="")
            started = time.monotonic()
            while any(p.poll() is None for p in procs) and time.monotonic() - started < limit:
                elapsed = time.monotonic() - started
                util = run.sampler.latest_utilisation("access") if any(
                    g.name == "access" for g in run.sampler.groups) else None
                status = f"access link {100 * util:.0f}%" if util is not None else ""
                if elapsed > run.spec.duration_s:
                    status += " (draining)"
                progress.update(task, completed=min(elapsed, run.spec.duration_s),
                                status=status)
                time.sleep(PROGRESS_REFRESH_S)
    return follow


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
        raw = ScenarioRun(spec, run_dir / name, console).execute(
            hold=hold and name == names[-1], progress=_progress(console))
        results[name] = evaluate_scenario(spec, raw)
        write_scenario(run_dir / name, results[name])
    first = experiment.scenarios[names[0]]
    plot(run_dir, results, first.plots)
    write_json(run_dir / "summary.json", {
        "experiment": experiment.name,
        "checks": [{**c.as_dict(), "name": f"{n}.{c.name}"}
                   for n, r in results.items() for c in r.checks],
        "scenarios": {n: r.summary() for n, r in results.items()},
    })
    realizers = sorted({r.raw["realizer"] for r in results.values()})
    write_manifest(run_dir, experiment=experiment.name, spec_file=str(experiment.path),
                   spec=experiment.raw,
                   resolved={n: s.model_dump() for n, s in experiment.scenarios.items()},
                   realizer=realizers[0] if len(realizers) == 1 else realizers,
                   calibration=calibration, seed=first.seed, started=started,
                   finished=now_iso(),
                   pcaps={n: r.raw["pcaps"] for n, r in results.items() if r.raw["pcaps"]})
    console.print(table(results))
    for line in detail_lines(results):
        console.print(line)
    return run_dir, results
