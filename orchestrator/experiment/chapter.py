"""The whole chapter in one command: every spec in a folder, one after
another, into one results folder with one index page; the terminal says
which experiment and scenario runs and about how long the whole has left.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from orchestrator.experiment.catalogue import EXPERIMENT_FILE
from orchestrator.experiment.manifest import new_run_dir
from orchestrator.experiment.page import write_index
from orchestrator.experiment.result import ScenarioResult
from orchestrator.experiment.scenario import write_json
from orchestrator.experiment.spec import Experiment, SpecError

CHAPTER_FILE = "chapter.json"
# What a scenario takes beyond its workload before any has finished here:
# bring-up, services, warm-up, drain, collection, teardown and report.
OVERHEAD_PRIOR_S = 30.0


def chapter_specs(folder: Path) -> list[Path]:
    """The experiments in a folder: its specs, and its subfolders that are
    experiments of their own (experiment.yaml), in name order."""
    found = sorted(p for p in Path(folder).glob("*.yaml") if p.is_file())
    found += sorted(p for p in Path(folder).iterdir() if (p / EXPERIMENT_FILE).is_file())
    return sorted(found, key=lambda p: p.name)


def is_chapter(path: Path) -> bool:
    """A folder of experiments, not an experiment folder of its own."""
    return Path(path).is_dir() and not (Path(path) / EXPERIMENT_FILE).is_file()


def load_all(paths: list[Path], load: Callable[[Path], Experiment]) -> list[Experiment]:
    """Every spec loaded before any runs; all their problems reported together."""
    experiments, problems = [], []
    for path in paths:
        try:
            experiments.append(load(path))
        except SpecError as exc:
            problems += exc.problems
    if problems:
        raise SpecError(problems)
    if not experiments:
        raise SpecError(["no experiments to run (*.yaml, or folders with experiment.yaml)"])
    return experiments


@dataclass
class Estimate:
    """Time left of the whole, from the specs' durations: each scenario's
    workload plus an overhead, scaled by how long the finished ones took
    against the same plan. ``clock`` is injected for tests."""

    planned_s: list[float]                  # per scenario, in running order
    clock: Callable[[], float] = time.monotonic
    started: float = field(init=False)
    begun: int = field(default=0, init=False)   # scenarios begun so far

    def __post_init__(self):
        self.started = self.clock()

    @classmethod
    def of(cls, experiments: list[Experiment], clock=time.monotonic) -> Estimate:
        return cls([spec.duration_s + OVERHEAD_PRIOR_S for e in experiments
                    for spec in e.scenarios.values()], clock)

    def beginning(self) -> None:
        """A scenario begins: the one before it has finished."""
        self.begun += 1

    def left_s(self) -> float:
        """From the start of the scenario begun last to the end of the whole."""
        done = max(self.begun - 1, 0)
        planned_left = sum(self.planned_s[done:])
        planned_done = sum(self.planned_s[:done])
        if not planned_done:
            return planned_left
        return planned_left * (self.clock() - self.started) / planned_done


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


@dataclass
class ChapterRun:
    folder: Path
    runs: dict[str, Path]                           # experiment -> its run folder
    results: dict[str, dict[str, ScenarioResult]]
    phases_s: dict[str, dict]                       # experiment -> its phase summary

    @property
    def failed(self) -> list[str]:
        return [f"{e}/{s}.{c.name}" for e, found in self.results.items()
                for s, r in found.items() for c in r.checks if c.ok is False]


def run_chapter(experiments: list[Experiment], out: Path, run_one, console: Console,
                name: str = "chapter") -> ChapterRun:
    """``run_one(experiment, folder, announce)`` runs one experiment into the
    chapter's folder, calling ``announce(scenario)`` before each scenario;
    it returns (run folder, results, phase summary)."""
    folder = new_run_dir(Path(out).resolve(), name)
    folder.mkdir(parents=True)
    estimate = Estimate.of(experiments)
    chapter = ChapterRun(folder, {}, {}, {})
    total = len(experiments)
    for index, experiment in enumerate(experiments, 1):
        def announce(scenario: str, index=index, experiment=experiment) -> None:
            estimate.beginning()
            console.print(f"[bold]chapter: experiment {index} of {total}, {experiment.name}, "
                          f"scenario {scenario}: about {minutes(estimate.left_s())} left "
                          "of the whole[/bold]")
        run_dir, results, phases = run_one(experiment, folder, announce)
        chapter.runs[experiment.name] = run_dir
        chapter.results[experiment.name] = results
        chapter.phases_s[experiment.name] = phases
    write_json(folder / CHAPTER_FILE, {
        "experiments": {n: {"run": p.name, "phases_s": chapter.phases_s[n]}
                        for n, p in chapter.runs.items()},
        "wall_s": estimate.clock() - estimate.started,
        "failed": chapter.failed})
    write_index(folder.parent)     # the results folder's index lists the chapter
    console.print(phase_table(chapter))
    return chapter


def phase_table(chapter: ChapterRun) -> Table:
    """Wall time per experiment, phase by phase."""
    names = sorted({p for phases in chapter.phases_s.values() for p in phases["all"]})
    table = Table(title="the chapter's wall time, phase by phase (s)")
    table.add_column("experiment")
    for name in [*names, "total"]:
        table.add_column(name, justify="right")
    for experiment, phases in chapter.phases_s.items():
        table.add_row(experiment, *(f"{phases['all'].get(n, 0.0):.0f}" for n in names),
                      f"{phases['total']:.0f}")
    sums = [sum(p["all"].get(n, 0.0) for p in chapter.phases_s.values()) for n in names]
    table.add_row("all", *(f"{s:.0f}" for s in sums),
                  f"{sum(p['total'] for p in chapter.phases_s.values()):.0f}")
    return table
