"""Assignments as a student runs them: each shipped one passes with its
reference solution and fails each wrong one with a message; a new one from
the template, its topology changed, runs; a bad program (a crash, the wrong
port, one that forks and leaves a child) gets a clear report and leaves
nothing behind."""
from pathlib import Path

import psutil
import pytest

from orchestrator.assignments.model import REFERENCE, all_assignments, find
from orchestrator.assignments.runner import run_assignment
from orchestrator.assignments.template import write_template

SHIPPED = all_assignments()
# Marks a bad program's processes, to find any it left.
MARK = "applab-bad-program"


def leftovers() -> list[str]:
    return [" ".join(p.info["cmdline"] or []) for p in psutil.process_iter(["cmdline"])
            if any(MARK in part for part in p.info["cmdline"] or [])]


@pytest.mark.parametrize("assignment", SHIPPED, ids=lambda a: a.name)
def test_the_reference_passes_and_each_wrong_solution_fails(assignment, tmp_path,
                                                             clean_machine):
    for name, program in assignment.solutions().items():
        report = run_assignment(assignment, program, tmp_path / name)
        if name == REFERENCE:
            assert report.passed, report.lines()
        else:
            failed = [o for o in report.outcomes if not o.passed]
            assert failed and not report.problems, (name, report.lines())
            assert all(o.message for o in failed)


def test_a_new_assignment_with_a_changed_topology_runs(tmp_path, clean_machine):
    folder = write_template("slow-link", tmp_path)
    spec = folder / "assignment.yaml"
    text = spec.read_text()
    assert "params: {link: {delay: 10ms}}" in text
    spec.write_text(text.replace("params: {link: {delay: 10ms}}",
                                 "params: {link: {delay: 40ms, bw: 2}}"))
    assignment = find("slow-link", tmp_path)
    report = run_assignment(assignment, assignment.solution(None), tmp_path / "out")
    assert report.passed, report.lines()


BAD_PROGRAMS = {
    "crash": f"raise SystemExit('{MARK}: cannot start')\n",
    "wrong-port": ("import socket, time\n"
                   "s = socket.socket(); s.bind(('', 12001)); s.listen()\n"
                   f"print('{MARK} listening on 12001', flush=True)\n"
                   "time.sleep(600)\n"),
}


@pytest.mark.parametrize("bad", BAD_PROGRAMS)
def test_a_program_that_does_not_start_is_reported(bad, tmp_path, clean_machine):
    program = tmp_path / "TCPServer.py"
    program.write_text(BAD_PROGRAMS[bad])
    report = run_assignment(find("tcp-uppercase"), program, tmp_path / "out")
    assert not report.passed and report.problems
    (problem,) = report.problems
    assert "student (program) on h3" in problem and MARK in problem
    assert any(p.name == "stdout.log" for p in report.look_at)
    assert leftovers() == []


def test_what_a_program_forks_goes_with_it(tmp_path, clean_machine):
    reference = Path(find("tcp-uppercase").solution(None)).read_text()
    program = tmp_path / "TCPServer.py"
    program.write_text("import subprocess, sys\n"
                       "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', "
                       f"'{MARK}'])\n" + reference)
    report = run_assignment(find("tcp-uppercase"), program, tmp_path / "out")
    assert report.passed, report.lines()
    assert leftovers() == []
