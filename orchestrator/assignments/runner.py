"""Running an assignment: the student's program placed on its hosts, each
scenario brought up, the checks run against the live network, and a report
a student can read (what passed, what failed and why, where to look)."""
from __future__ import annotations

import contextlib
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from orchestrator.assignments.lab import Lab
from orchestrator.assignments.model import Assignment, Check
from orchestrator.errors import AppLabError
from orchestrator.experiment import spec as spec_module
from orchestrator.experiment.drawing import DrawingError, draw_scenario
from orchestrator.experiment.manifest import new_run_dir
from orchestrator.experiment.page import (
    REPORT,
    TOPOLOGY,
    assignment_page,
    write_index,
    write_page,
)
from orchestrator.experiment.runner import kept_apart_for
from orchestrator.experiment.scenario import ScenarioRun
from orchestrator.experiment.spec import DEFAULT_SEED


@dataclass
class Outcome:
    scenario: str
    check: str
    title: str
    passed: bool
    message: str = ""


@dataclass
class AssignmentReport:
    assignment: str
    solution: Path
    run_dir: Path
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)   # a run that did not get to its checks
    limits_reached: list[str] = field(default_factory=list)  # programs a sandbox held back
    look_at: list[Path] = field(default_factory=list)
    seed: int | None = None      # of the spec's network: a rerun with it reproduces it

    def as_dict(self) -> dict:
        return {"assignment": self.assignment, "solution": str(self.solution),
                "run_dir": str(self.run_dir), "seed": self.seed, "passed": self.passed,
                "outcomes": [vars(o) for o in self.outcomes], "problems": self.problems,
                "limits_reached": self.limits_reached,
                "look_at": [str(p) for p in self.look_at]}

    @classmethod
    def from_dict(cls, data: dict) -> AssignmentReport:
        return cls(data["assignment"], Path(data["solution"]), Path(data["run_dir"]),
                   outcomes=[Outcome(**o) for o in data["outcomes"]],
                   problems=list(data["problems"]),
                   limits_reached=list(data["limits_reached"]),
                   look_at=[Path(p) for p in data["look_at"]], seed=data.get("seed"))

    @property
    def passed(self) -> bool:
        return not self.problems and bool(self.outcomes) and all(o.passed for o in self.outcomes)

    def lines(self) -> list[str]:
        lines = [f"assignment {self.assignment}, program {self.solution}"]
        for outcome in self.outcomes:
            lines.append(f"  {'PASS' if outcome.passed else 'FAIL'}  [{outcome.scenario}] "
                         f"{outcome.title}")
            lines += [f"        {line}" for line in outcome.message.splitlines()
                      if not outcome.passed]
        lines += [f"  ERROR {problem}" for problem in self.problems]
        lines += [f"  LIMIT {stopped}" for stopped in self.limits_reached]
        passed = sum(o.passed for o in self.outcomes)
        lines.append(f"{passed} of {len(self.outcomes)} checks passed"
                     + ("" if not self.problems else ", and the run stopped early"))
        if self.look_at:
            lines.append("look at: " + ", ".join(str(p) for p in self.look_at))
        return lines


def run_checks(checks: list[Check], lab: Lab) -> list[Outcome]:
    outcomes = []
    for check in checks:
        try:
            check.function(lab)
        except AssertionError as exc:
            outcomes.append(Outcome(lab.scenario, check.name, check.title, False,
                                    str(exc) or "the check failed"))
        except Exception:   # a checker's own error: show it whole
            outcomes.append(Outcome(lab.scenario, check.name, check.title, False,
                                    "the check itself failed:\n" + traceback.format_exc()))
        else:
            outcomes.append(Outcome(lab.scenario, check.name, check.title, True))
    return outcomes


def limit_notes(run: ScenarioRun, scenario: str) -> list[str]:
    """Each sandboxed program of the run that one of its limits stopped."""
    launched = []
    if run.services is not None:
        launched += [(r.name, r.ctx.host, r.role, r.launched)
                     for r in run.services.running.values() if r.launched]
    if run.workloads is not None:
        launched += [(r.ctx.name, r.host, run.workloads.roles[r.workload], r.launched)
                     for r in run.workloads.runs]
    notes = []
    for name, host, role, started in launched:
        hit = started.limits_hit(role)
        if hit:
            notes.append(f"[{scenario}] {name} on {host} reached "
                         + " and ".join(started.sandbox.limits.describe(h) for h in hit))
    return notes


def run_assignment(assignment: Assignment, solution: Path, out: Path,
                   console: Console | None = None,
                   hidden: tuple[Path, ...] = (), apart: bool = False,
                   seed: int | None = None) -> AssignmentReport:
    """Run the assignment's checks against ``solution``; its sandboxed
    programs do not see ``hidden`` (the other submissions). ``apart``: in a
    network namespace of its own (a process that runs nothing after it).
    ``seed``: the spec's network's, instead of its own."""
    console = console or Console()
    experiment = spec_module.load(assignment.spec_path, variables={
        "folder": str(assignment.folder), "solution": str(solution)}, seed=seed)
    checks = assignment.checks()
    run_dir = new_run_dir(Path(out).resolve(), f"assignment-{assignment.name}")
    run_dir.mkdir(parents=True)
    report = AssignmentReport(assignment.name, solution, run_dir,
                              seed=experiment.raw.get("seed", DEFAULT_SEED))
    with kept_apart_for(experiment) if apart else contextlib.nullcontext():
        for name, scenario in experiment.scenarios.items():
            scenario_dir = run_dir / name
            run = ScenarioRun(scenario, scenario_dir, console, hidden=hidden)
            try:
                run.execute(while_up=lambda up: report.outcomes.extend(
                    run_checks(checks, Lab(up, assignment.folder))))
            except AppLabError as exc:
                report.problems.append(f"[{name}] {exc}")
            report.limits_reached += limit_notes(run, name)
            report.look_at += sorted(scenario_dir.glob("hosts/*/*/std*.log"))
            report.look_at += sorted(scenario_dir.glob("*.pcap"))
    write_page(run_dir / REPORT, assignment_page(
        f"Assignment {assignment.name}", f"program {solution}, network seed {report.seed}",
        [vars(o) for o in report.outcomes], [(c.name, c.title) for c in checks],
        report.problems + report.limits_reached, report.look_at, run_dir,
        drawings(experiment, run_dir)))
    write_index(run_dir.parent)
    return report


def drawings(experiment, run_dir: Path) -> dict[str, Path]:
    """Each scenario's topology beside its files, for the report."""
    drawn = {}
    for name, scenario in experiment.scenarios.items():
        (run_dir / name).mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(DrawingError):   # a report without it still helps
            drawn[name] = draw_scenario(scenario, run_dir / name / TOPOLOGY,
                                        note=f"realizer {scenario.realizer}")
    return drawn
