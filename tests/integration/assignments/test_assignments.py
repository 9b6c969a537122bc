"""Assignments as a student runs them: each shipped one passes with its
reference solution and fails each wrong one with a message; a new one from
the template, its topology changed, runs; a bad program (a crash, the wrong
port, one that forks and leaves a child, one that floods its link or loops
forever) gets a clear report and leaves nothing behind."""
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner

from orchestrator.assignments.model import REFERENCE, all_assignments, find
from orchestrator.assignments.runner import run_assignment
from orchestrator.cli import cli

SHIPPED = all_assignments()
# Marks a bad program's processes, to find any it left.
MARK = "applab-bad-program"


def leftovers(mark: str = MARK) -> list[str]:
    return [" ".join(p.info["cmdline"] or []) for p in psutil.process_iter(["cmdline"])
            if any(mark in part for part in p.info["cmdline"] or [])]


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
    made = CliRunner().invoke(cli, ["assignment", "new", "slow-link", "--root", str(tmp_path)])
    assert made.exit_code == 0, made.output
    spec = tmp_path / "slow-link" / "assignment.yaml"
    text = spec.read_text()
    assert "params: {link: {delay: 10ms}}" in text
    spec.write_text(text.replace("params: {link: {delay: 10ms}}",
                                 "params: {link: {delay: 40ms, bw: 2}}"))
    ran = CliRunner().invoke(cli, ["assignment", "run", "slow-link", "--root", str(tmp_path),
                                   "--out", str(tmp_path / "out")])
    assert ran.exit_code == 0, ran.output
    assert "1 of 1 checks passed" in ran.output


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


RUNAWAY_CLIENTS = {
    "flood": ("import socket, sys\n"
              "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
              "while True:\n"
              f"    s.sendto(b'{MARK}' * 100, (sys.argv[1], int(sys.argv[2])))\n"),
    "busy-loop": f"while True:\n    '{MARK}'\n",
}


@pytest.mark.parametrize("runaway", RUNAWAY_CLIENTS)
def test_a_client_that_never_stops_is_stopped_at_its_time_limit(runaway, tmp_path,
                                                                 clean_machine):
    program = tmp_path / "UDPPingerClient.py"
    program.write_text(RUNAWAY_CLIENTS[runaway])
    report = run_assignment(find("udp-pinger"), program, tmp_path / "out")
    assert not report.problems, report.lines()
    (finishes, *_) = report.outcomes
    assert not finishes.passed and "time limit" in finishes.message
    assert leftovers(program.name) == []
