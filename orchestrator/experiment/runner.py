"""Running an experiment: every scenario in turn, then the report."""
from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from orchestrator.emulation.apart import kept_apart
from orchestrator.emulation.cluster.placement import COORDINATOR, crossing_links, place
from orchestrator.emulation.links.realizers import choose_realizer
from orchestrator.emulation.linktest import run_linktest, tunnel_delay
from orchestrator.emulation.state import STATE_ROOT
from orchestrator.experiment.drawing import DrawingError, draw_scenario
from orchestrator.experiment.manifest import (
    new_run_dir,
    now_iso,
    package_versions,
    write_manifest,
)
from orchestrator.experiment.page import TOPOLOGY, write_index, write_report
from orchestrator.experiment.report import (
    detail_lines,
    evaluate_scenario,
    summary,
    table,
    write_scenario,
)
from orchestrator.experiment.result import ScenarioResult
from orchestrator.experiment.scenario import PhaseClock, ScenarioRun, write_json
from orchestrator.experiment.spec import Experiment, machine_of
from topologies.params import parse_link

# Links worth calibrating: a delay, or a rate low enough to be a bottleneck.
CALIBRATE_BELOW_MBPS = 1000
# Calibrations measured since this boot (the state directory is on /run, a tmpfs).
CALIBRATION_CACHE = STATE_ROOT / "calibration"
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def calibration_key(realizer: str, link: dict) -> str:
    """What a calibration depends on: the realizer, the link, the kernel and this boot."""
    identity = {"realizer": realizer, "link": link, "kernel": platform.release(),
                "boot": BOOT_ID.read_text().strip() if BOOT_ID.exists() else ""}
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]


def calibrate(experiment: Experiment, run_dir: Path, console: Console,
              recalibrate: bool = False) -> dict:
    """Measure each constrained link of the first scenario on its own, as
    `applab linktest` does, for the manifest; reuse a measurement of the same
    link, realizer and kernel made since this boot unless ``recalibrate``."""
    spec = next(iter(experiment.scenarios.values()))
    own_links = spec.catalogue.links
    realizer = choose_realizer(spec.realizer, own_links)
    calibration = {}
    for key, link in spec.topology.params.items():
        if not (key == "link" or key.endswith("_link")) or not isinstance(link, dict):
            continue
        directions = parse_link(key, link)  # validated already: values in Mb/s and ms
        shaped = any(d.bw_mbps is not None and d.bw_mbps < CALIBRATE_BELOW_MBPS
                     for d in (directions.up, directions.down))
        if not shaped and not directions.impaired:
            continue
        cached = CALIBRATION_CACHE / f"{calibration_key(realizer, link)}.json"
        if cached.exists() and not recalibrate:
            calibration[key] = {**json.loads(cached.read_text()), "cached": str(cached)}
        else:
            result = run_linktest(link, run_dir / "calibration" / key, realizer=realizer,
                                  goodput=shaped, links=own_links)
            calibration[key] = {"link": link, "realizer": result.realizer,
                                "rtt_ms": result.rtt_ms, "goodput_mbps": result.goodput_mbps,
                                "measured": now_iso()}
            CALIBRATION_CACHE.mkdir(parents=True, exist_ok=True)
            # Written whole, then renamed: a run at once reads it whole or not at all.
            partial = cached.with_suffix(f".{os.getpid()}.partial")
            partial.write_text(json.dumps(calibration[key]))
            partial.replace(cached)
        found = calibration[key]
        goodput = found["goodput_mbps"]["measured"]
        console.print(f"  calibrated {key}: RTT {found['rtt_ms']['median']:.1f} ms "
                      f"(configured {found['rtt_ms']['configured']:.1f})"
                      + (f", TCP goodput {goodput:.3f} Mb/s" if goodput else "")
                      + (f" (measured {found['measured']}, this boot)"
                         if "cached" in found else ""))
    for name, machine in tunnelled_machines(spec).items():
        found = tunnel_delay(machine, run_dir / "calibration" / f"tunnel-{name}", realizer,
                             own_links)
        calibration[f"tunnel:{name}"] = {**found, "measured": now_iso()}
        console.print(f"  calibrated the tunnel to {name}: it adds {found['added_ms']:.2f} ms "
                      f"to a round trip ({found['rtt_ms_through']:.2f} ms through it, "
                      f"{found['rtt_ms_here']:.2f} ms here)")
    return calibration


def tunnelled_machines(spec) -> dict:
    """The workers a link of the scenario reaches through a tunnel."""
    if not spec.machines:
        return {}
    topo = spec.topology.build()
    placed = place(topo, spec.placement, list(spec.machines), spec.placer)
    names = {placed[end] for link in crossing_links(topo, placed) for end in link}
    return {name: machine_of(name, spec.machines[name]) for name in sorted(names)
            if name != COORDINATOR}


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


def kept_apart_for(*experiments: Experiment):
    """The run's own network namespace, or the machine's where a scenario
    of one of them needs it (apart.kept_apart)."""
    scenarios = [s for experiment in experiments for s in experiment.scenarios.values()]
    return kept_apart(switch=next((s.switch for s in scenarios if s.switch != "lxbr"), "lxbr"),
                      controlled=any(s.controller for s in scenarios),
                      machines=any(s.machines for s in scenarios))


def run_experiment(experiment: Experiment, out: Path, hold: bool = False,
                   console: Console | None = None, recalibrate: bool = False,
                   announce: Callable[[str], None] | None = None,
                   ) -> tuple[Path, dict[str, ScenarioResult]]:
    """Every scenario in turn (``announce(name)`` before each), then the
    report; returns the run's folder and each scenario's result."""
    # Results are often piped to a file or CI log: give the table room there.
    console = console or Console(width=None if sys.stdout.isatty() else 120)
    run_dir = new_run_dir(Path(out).resolve(), experiment.name)
    run_dir.mkdir(parents=True)
    started = now_iso()
    clock = PhaseClock()
    console.rule(f"{experiment.name}: {experiment.title}")
    with clock.phase("calibration"):
        calibration = calibrate(experiment, run_dir, console, recalibrate)
    results: dict[str, ScenarioResult] = {}
    names = list(experiment.scenarios)
    for name in names:
        spec = experiment.scenarios[name]
        if announce:
            announce(name)
        console.rule(f"scenario {name}: {spec.scenario_title}")
        scenario = ScenarioRun(spec, run_dir / name, console, progress=_progress(console),
                               phases=clock)
        run = scenario.execute(hold=hold and name == names[-1])
        with clock.phase("report"):
            results[name] = evaluate_scenario(spec, run)
            write_scenario(run_dir / name, spec, results[name])
            try:
                draw_scenario(spec, run_dir / name / TOPOLOGY, note=f"realizer {run.realizer}")
            except DrawingError as exc:
                console.print(f"  no topology drawing: {exc}")
    first = experiment.scenarios[names[0]]
    with clock.phase("report"):
        write_json(run_dir / "summary.json", {
            "experiment": experiment.name,
            "checks": [{**c.as_dict(), "name": f"{n}.{c.name}"}
                       for n, r in results.items() for c in r.checks],
            "scenarios": {n: summary(experiment.scenarios[n], r) for n, r in results.items()},
        })
    realizers = sorted({r.run.realizer for r in results.values()})
    manifest = dict(experiment=experiment.name, spec_file=str(experiment.path),
                    spec=experiment.raw, packages=package_versions(roles_packages(experiment)),
                    resolved={n: s.model_dump() for n, s in experiment.scenarios.items()},
                    realizer=realizers[0] if len(realizers) == 1 else realizers,
                    calibration=calibration, seed=first.seed, started=started,
                    pcaps={n: r.run.pcaps for n, r in results.items() if r.run.pcaps})
    per_scenario = {n: r.run.phases for n, r in results.items()}
    # The page is made from the manifest; the manifest is then written again
    # with the time the page took.
    write_manifest(run_dir, **manifest, finished=now_iso(),
                   phases_s=phase_summary(clock.seconds, per_scenario))
    with clock.phase("report"):
        report = write_report(run_dir)
    phases = phase_summary(clock.seconds, per_scenario)
    write_manifest(run_dir, **manifest, finished=now_iso(), phases_s=phases)
    write_index(run_dir.parent)
    console.print(table(results))
    for line in detail_lines(results, experiment.catalogue.models):
        console.print(line)
    console.print(f"wall time {phases['total']:.0f} s, of which the workloads "
                  f"{phases['all']['workload']:.0f} s; the rest "
                  f"{100 * phases['overhead_fraction']:.0f} %: "
                  + ", ".join(f"{k} {v:.1f} s" for k, v in phases["all"].items()
                              if k != "workload"))
    console.print(f"report: {report}")
    return run_dir, results


def roles_packages(experiment: Experiment) -> list[str]:
    """The Debian packages of the roles the experiment's scenarios run."""
    roles = {s.role for spec in experiment.scenarios.values()
             for s in [*spec.services.values(), *spec.all_workloads.values()]}
    classes = [experiment.catalogue.roles[r] for r in sorted(roles)
               if r in experiment.catalogue.roles]
    return list(dict.fromkeys(p for cls in classes for field in ("packages", "machine_packages")
                              for p in cls.declared(field)))


def phase_summary(seconds: dict[str, float], per_scenario: dict[str, dict]) -> dict:
    """Wall time per phase over the whole run and per scenario, and the share
    of it that is not workload (calibration, bring-up, services, warm-up,
    launch, drain, collect, teardown, report)."""
    total = sum(seconds.values())
    return {"all": dict(seconds), "scenarios": per_scenario, "total": total,
            "overhead_fraction": 1 - seconds.get("workload", 0.0) / total if total else 0.0}
