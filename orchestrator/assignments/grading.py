"""Grading a class: every submission of a folder run through an
assignment's checks, each in a process and a network of its own, several
at once; a gradebook (CSV), JUnit XML, and each student's feedback as
text and as a page.

A submission is a file, or a folder named by the student (as learning
management systems export them): its program is the file named as the
assignment names it (``UDPPingerClient.py``), or its only file of that
kind. Each graded submission keeps ``grade.json``; grading again skips it
unless asked to regrade, which reuses its seed, so its network is the same.
"""
from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from orchestrator.assignments.model import Assignment, AssignmentError, Check
from orchestrator.assignments.runner import AssignmentReport, Outcome
from orchestrator.experiment.page import assignment_page

GRADE_FILE, FEEDBACK_TEXT, FEEDBACK_PAGE = "grade.json", "feedback.txt", "feedback.html"
GRADEBOOK, JUNIT = "gradebook.csv", "junit.xml"
# One submission's run: its scenarios' own limits (tens of seconds) and its
# network's bring-up and teardown fit well within; past it, it is a failure.
SUBMISSION_TIMEOUT_S = 600
# The file names learning management systems give, and the student in them.
MOODLE_FOLDER = re.compile(r"^(?P<student>.+?)_\d+_assignsubmission_\w+_?$")
CANVAS_FILE = re.compile(r"^(?P<student>[^_]+)_(?:LATE_)?\d+_\d+_(?P<file>.+)$")


@dataclass(frozen=True)
class Submission:
    student: str
    source: Path                 # the file or folder as handed in
    program: Path | None         # None: no program found in it
    problem: str = ""

    @property
    def folder_name(self) -> str:
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", self.student).strip("_") or "student"


def find_submissions(folder: Path, program_name: str | None) -> list[Submission]:
    """One submission per entry of ``folder`` (hidden ones aside)."""
    if not folder.is_dir():
        raise AssignmentError(f"{folder}: not a folder of submissions")
    found = []
    for entry in sorted(p for p in folder.iterdir() if not p.name.startswith(".")):
        if entry.is_file():
            canvas = CANVAS_FILE.match(entry.name)
            student = canvas["student"] if canvas else entry.stem
            found.append(Submission(student, entry, entry))
            continue
        moodle = MOODLE_FOLDER.match(entry.name)
        student = moodle["student"] if moodle else entry.name
        files = sorted(p for p in entry.rglob("*") if p.is_file() and
                       not any(part.startswith(".") for part in p.relative_to(entry).parts))
        named = [f for f in files if f.name == program_name]
        suffix = Path(program_name).suffix if program_name else None
        alike = [f for f in files if suffix and f.suffix == suffix]
        program = named[0] if len(named) == 1 else alike[0] if len(alike) == 1 else \
            files[0] if len(files) == 1 else None
        problem = "" if program else (
            f"no {program_name or 'program'} among its {len(files)} files" if files
            else "an empty folder")
        found.append(Submission(student, entry, program, problem))
    names = [s.folder_name for s in found]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise AssignmentError(f"{folder}: two submissions for {', '.join(twice)}")
    return found


@dataclass
class Grade:
    """One student's row: each check passed or not, and why not."""

    student: str
    program: str
    seed: int | None
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    limits_reached: list[str] = field(default_factory=list)
    look_at: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def passed(self) -> int:
        return sum(o.passed for o in self.outcomes)

    def score(self, checks: int) -> str:
        return f"{self.passed}/{checks}"

    def lines(self, checks: list[Check]) -> list[str]:
        lines = [f"{self.student}: {self.score(len(checks))} checks passed "
                 f"({self.program}, seed {self.seed})"]
        by_name = {o.check: o for o in self.outcomes}
        for check in checks:
            outcome = by_name.get(check.name)
            verdict = "PASS" if outcome and outcome.passed else "FAIL"
            lines.append(f"  {verdict}  {check.title}")
            if outcome is None:
                lines.append("        not run: the run stopped before its checks")
            elif not outcome.passed:
                lines += [f"        {line}" for line in outcome.message.splitlines()]
        lines += [f"  ERROR {p}" for p in self.problems]
        lines += [f"  LIMIT {note}" for note in self.limits_reached]
        if self.look_at:
            lines.append("look at: " + ", ".join(self.look_at))
        return lines

    def as_dict(self) -> dict:
        return {**vars(self), "outcomes": [vars(o) for o in self.outcomes]}

    @classmethod
    def from_dict(cls, data: dict) -> Grade:
        return cls(**{**data, "outcomes": [Outcome(**o) for o in data["outcomes"]]})


def grade_one(assignment: Assignment, submission: Submission, folder: Path,
              hidden: Path, seed: int | None) -> Grade:
    """Run one submission in a process of its own (its own network
    namespace); a crash, a hang or an escape attempt gives a row all the same."""
    folder.mkdir(parents=True, exist_ok=True)
    if submission.program is None:
        return Grade(submission.student, str(submission.source), seed,
                     problems=[submission.problem])
    report_path = folder / "report.json"
    report_path.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "orchestrator.cli", "assignment", "run", assignment.name,
            "--root", str(assignment.folder.parent), "--solution", str(submission.program),
            "--out", str(folder / "runs"), "--hide", str(hidden),
            "--report-json", str(report_path),
            *(["--seed", str(seed)] if seed is not None else [])]
    started = time.monotonic()
    with open(folder / "grader.log", "w") as log:
        try:
            done = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT,
                                  timeout=SUBMISSION_TIMEOUT_S, check=False)
            problem = "" if report_path.exists() else \
                f"the grading run exited {done.returncode} without a report: see grader.log"
        except subprocess.TimeoutExpired:
            problem = f"the grading run took over {SUBMISSION_TIMEOUT_S} s"
    wall_s = time.monotonic() - started
    if problem:
        return Grade(submission.student, str(submission.program), seed, problems=[problem],
                     look_at=[str(folder / "grader.log")], wall_s=wall_s)
    report = AssignmentReport.from_dict(json.loads(report_path.read_text()))
    return Grade(submission.student, str(submission.program), report.seed, report.outcomes,
                 report.problems, report.limits_reached, [str(p) for p in report.look_at],
                 wall_s)


@dataclass
class Gradebook:
    assignment: Assignment
    checks: list[Check]
    grades: list[Grade]
    skipped: list[str]           # graded before, not again

    def write(self, out: Path) -> None:
        with open(out / GRADEBOOK, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["student", *(c.name for c in self.checks), "score", "errors",
                             "limits", "seed"])
            for grade in self.grades:
                passed = {o.check: o.passed for o in grade.outcomes}
                writer.writerow([grade.student,
                                 *("pass" if passed.get(c.name) else "fail"
                                   for c in self.checks),
                                 grade.score(len(self.checks)), " | ".join(grade.problems),
                                 " | ".join(grade.limits_reached), grade.seed])
        junit_xml(self).write(out / JUNIT, encoding="unicode", xml_declaration=True)


def junit_xml(book: Gradebook) -> ElementTree.ElementTree:
    """A test suite per student, a test case per check."""
    suites = ElementTree.Element("testsuites", name=f"applab {book.assignment.name}")
    for grade in book.grades:
        by_name = {o.check: o for o in grade.outcomes}
        suite = ElementTree.SubElement(
            suites, "testsuite", name=grade.student, tests=str(len(book.checks)),
            failures=str(len(book.checks) - grade.passed), errors=str(len(grade.problems)),
            time=f"{grade.wall_s:.1f}")
        for check in book.checks:
            case = ElementTree.SubElement(suite, "testcase", classname=grade.student,
                                          name=check.name)
            outcome = by_name.get(check.name)
            if outcome is None:
                ElementTree.SubElement(case, "error", message="not run").text = \
                    "\n".join(grade.problems)
            elif not outcome.passed:
                ElementTree.SubElement(case, "failure",
                                       message=check.title).text = outcome.message
    return ElementTree.ElementTree(suites)


def feedback_page(grade: Grade, checks: list[Check], assignment: Assignment,
                  folder: Path) -> str:
    """The student's feedback as one page in ``folder``."""
    who = f"{grade.student}, {Path(grade.program).name}, network seed {grade.seed}"
    return assignment_page(assignment.title, who, [vars(o) for o in grade.outcomes],
                           [(c.name, c.title) for c in checks],
                           grade.problems + grade.limits_reached,
                           [Path(p) for p in grade.look_at], folder)


def grade_all(assignment: Assignment, submissions: Path, out: Path, jobs: int = 1,
              regrade: bool = False, seed: int | None = None,
              progress: Callable[[Grade], None] = lambda grade: None,
              planned: Callable[[int], None] = lambda total: None) -> Gradebook:
    """Grade every submission of ``submissions`` into ``out``, ``jobs`` at
    once. ``planned(n)`` hears how many will run, ``progress(grade)`` of each
    as it ends."""
    checks = assignment.checks()
    found = find_submissions(submissions, assignment.program_name)
    out.mkdir(parents=True, exist_ok=True)
    grades: dict[str, Grade] = {}
    skipped, todo = [], []
    for submission in found:
        kept = out / "students" / submission.folder_name / GRADE_FILE
        if kept.exists() and not regrade:
            grades[submission.student] = Grade.from_dict(json.loads(kept.read_text()))
            skipped.append(submission.student)
        else:
            earlier = json.loads(kept.read_text())["seed"] if kept.exists() else None
            todo.append((submission, seed if seed is not None else earlier))
    planned(len(todo))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        running = {pool.submit(grade_one, assignment, submission,
                               out / "students" / submission.folder_name,
                               submissions.resolve(), chosen): submission
                   for submission, chosen in todo}
        for done in as_completed(running):
            submission = running[done]
            grade = done.result()
            folder = out / "students" / submission.folder_name
            (folder / FEEDBACK_TEXT).write_text("\n".join(grade.lines(checks)) + "\n")
            (folder / FEEDBACK_PAGE).write_text(feedback_page(grade, checks, assignment,
                                                              folder))
            (folder / GRADE_FILE).write_text(json.dumps(grade.as_dict(), indent=1) + "\n")
            grades[submission.student] = grade
            progress(grade)
    book = Gradebook(assignment, checks, [grades[s.student] for s in found], skipped)
    book.write(out)
    return book
