"""Running an experiment: every scenario in turn, then the report."""
from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from orchestrator.emulation import priority
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
from orchestrator.experiment.pipeline import Job, Pipeline
from orchestrator.experiment.report import (
    detail_lines,
    evaluate_scenario,
    summary,
    table,
    write_scenario,
)
from orchestrator.experiment.result import RunResult, ScenarioResult
from orchestrator.experiment.scenario import (
    PhaseClock,
    ScenarioRun,
    ready_containers,
    write_json,
)
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


def kept_apart_for(*experiments: Experiment):
    """The run's own network namespace, or the machine's where a scenario
    of one of them needs it (apart.kept_apart)."""
    scenarios = [s for experiment in experiments for s in experiment.scenarios.values()]
    return kept_apart(switch=next((s.switch for s in scenarios if s.switch != "lxbr"), "lxbr"),
                      controlled=any(s.controller for s in scenarios),
                      machines=any(s.machines for s in scenarios),
                      containers=any(s.containers for s in scenarios))


def calibrate_apart(experiment: Experiment, run_dir: Path, console: Console,
                    recalibrate: bool) -> dict:
    """``calibrate`` in a process and namespace of its own, as the first
    scenario will run."""
    found = {}
    first = next(iter(experiment.scenarios.values()))
    job = Job("calibration", first,
              lambda own_console, turn, where: calibrate(experiment, run_dir, own_console,
                                                         recalibrate), takes_turns=False)
    Pipeline(console).run([job], lambda name, calibration: found.update(calibration))
    return found


def scenario_job(spec, scenario_dir: Path, hold: bool) -> Job:
    """One scenario, run in a worker: its result, and the namespace it ran in."""
    def body(console: Console, turn, where: str) -> RunResult:
        run = ScenarioRun(spec, scenario_dir, console, progress=turn.progress, turn=turn)
        result = run.execute(hold=hold)
        result.network_namespace = where
        return result

    def containers(stack, console: Console) -> None:
        ready_containers(spec, stack, say=console.print)
    return Job(spec.scenario, spec, body, title=f"scenario {spec.scenario}: {spec.scenario_title}",
               duration_s=spec.duration_s, holds=hold, prepare_ahead=spec.prepare_ahead,
               in_machine_namespace=containers if spec.containers else None)


def run_experiment(experiment: Experiment, out: Path, hold: bool = False,
                   console: Console | None = None, recalibrate: bool = False,
                   announce: Callable[[str], None] | None = None, overlap: bool = True,
                   ) -> tuple[Path, dict[str, ScenarioResult]]:
    """Every scenario, each in a process of its own, the next prepared while
    one measures where the spec allows it unless not ``overlap``
    (pipeline.py; ``announce(name)`` before each one's lines), then the
    report; returns the run's folder and each scenario's result."""
    # Results are often piped to a file or CI log: give the table room there.
    console = console or Console(width=None if sys.stdout.isatty() else 120)
    run_dir = new_run_dir(Path(out).resolve(), experiment.name)
    run_dir.mkdir(parents=True)
    started, began = now_iso(), time.monotonic()
    clock = PhaseClock()
    console.rule(f"{experiment.name}: {experiment.title}")
    with clock.phase("calibration"):
        calibration = calibrate_apart(experiment, run_dir, console, recalibrate)
    found: dict[str, ScenarioResult] = {}
    names = list(experiment.scenarios)

    def report_scenario(name: str, run: RunResult) -> None:
        for phase, spent in run.phases.items():
            clock.add(phase, spent)
        spec = experiment.scenarios[name]
        with clock.phase("report"):
            found[name] = evaluate_scenario(spec, run)
            write_scenario(run_dir / name, spec, found[name])
            try:
                draw_scenario(spec, run_dir / name / TOPOLOGY, note=f"realizer {run.realizer}")
            except DrawingError as exc:
                console.print(f"  no topology drawing: {exc}")

    jobs = [scenario_job(experiment.scenarios[name], run_dir / name,
                         hold=hold and name == names[-1]) for name in names]
    # The parent's own work (each scenario's report) yields to the one measuring.
    priority.lower_this_thread()
    try:
        Pipeline(console, overlap=overlap, announce=announce).run(jobs, report_scenario)
    finally:
        priority.raise_this_thread()
    results = {name: found[name] for name in names}
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
    namespaces = {n: r.run.network_namespace for n, r in results.items()}
    namespace = next(iter(namespaces.values())) if len(set(namespaces.values())) == 1 \
        else ", ".join(f"{n}: {where}" for n, where in namespaces.items())
    # The page is made from the manifest; the manifest is then written again
    # with the time the page took.
    write_manifest(run_dir, **manifest, finished=now_iso(), namespace=namespace,
                   phases_s=phase_summary(clock.seconds, per_scenario,
                                          time.monotonic() - began))
    with clock.phase("report"):
        report = write_report(run_dir)
    phases = phase_summary(clock.seconds, per_scenario, time.monotonic() - began)
    write_manifest(run_dir, **manifest, finished=now_iso(), namespace=namespace,
                   phases_s=phases)
    write_index(run_dir.parent)
    console.print(table(results))
    for line in detail_lines(results, experiment.catalogue.models):
        console.print(line)
    console.print(f"wall time {phases['total']:.0f} s, of which the workloads "
                  f"{phases['all']['workload']:.0f} s; the rest "
                  f"{100 * phases['overhead_fraction']:.0f} %: "
                  + ", ".join(f"{k} {v:.1f} s" for k, v in phases["all"].items()
                              if k != "workload")
                  + f" ({phases['overlapped_s']:.1f} s of them beside another "
                  "scenario's measurement)")
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


def phase_summary(seconds: dict[str, float], per_scenario: dict[str, dict],
                  wall_s: float) -> dict:
    """Time per phase over the whole run and per scenario, the run's wall
    time, how much of the phases ran beside another scenario's (overlapped),
    and the share of the wall time that is not workload (calibration,
    bring-up, services, warm-up, launch, drain, collect, teardown, report)."""
    return {"all": dict(seconds), "scenarios": per_scenario, "total": wall_s,
            "overlapped_s": max(0.0, sum(seconds.values()) - wall_s),
            "overhead_fraction": 1 - seconds.get("workload", 0.0) / wall_s if wall_s else 0.0}
