"""Assignment folders: every shipped one loads (spec, checks, a reference
and wrong solutions), a template is a working assignment, and the report a
student reads."""
import json
from pathlib import Path

import pytest

from orchestrator.assignments.model import (
    REFERENCE,
    Assignment,
    AssignmentError,
    all_assignments,
    find,
)
from orchestrator.assignments.runner import AssignmentReport, Outcome, run_checks
from orchestrator.assignments.template import write_template
from orchestrator.experiment import spec

SHIPPED = all_assignments()


def load(assignment: Assignment, solution: Path):
    return spec.load(assignment.spec_path, variables={"folder": str(assignment.folder),
                                                      "solution": str(solution)})


def test_the_socket_assignments_ship():
    assert {"udp-uppercase", "tcp-uppercase", "udp-pinger", "web-server", "smtp-client",
            "web-proxy"} <= {a.name for a in SHIPPED}


@pytest.mark.parametrize("assignment", SHIPPED, ids=lambda a: a.name)
def test_each_assignment_loads_with_its_checks_and_solutions(assignment):
    solutions = assignment.solutions()
    assert REFERENCE in solutions and any(n.startswith("wrong-") for n in solutions)
    experiment = load(assignment, solutions[REFERENCE])
    placed = [params["files"] for scenario in experiment.scenarios.values()
              for params in [*(s.params for s in scenario.services.values()
                               if s.role == "program"),
                             *(w.params for w in scenario.all_workloads.values()
                               if w.role == "program")]]
    assert any(str(solutions[REFERENCE]) in files.values() for files in placed), \
        "the student's program runs somewhere"
    checks = assignment.checks()
    assert checks and all(c.title != c.name for c in checks), "each check says what it checks"
    assert (assignment.folder / "README.md").is_file()


def test_a_template_is_an_assignment_that_loads(tmp_path):
    folder = write_template("reverse-lines", tmp_path)
    assignment = find("reverse-lines", tmp_path)
    assert assignment.folder == folder
    experiment = load(assignment, assignment.solution(None))
    student = experiment.scenarios["default"].services["student"]
    assert student.params["files"] == {"server.py": str(assignment.solution(None))}
    assert [c.name for c in assignment.checks()] == ["check_answers_a_line_reversed"]
    with pytest.raises(AssignmentError, match="exists already"):
        write_template("reverse-lines", tmp_path)


def test_a_solution_is_named_or_a_path(tmp_path):
    assignment = find("reverse-lines", write_template("reverse-lines", tmp_path).parent)
    mine = tmp_path / "mine.py"
    mine.write_text("pass\n")
    assert assignment.solution(str(mine)) == mine.resolve()
    with pytest.raises(AssignmentError, match="no program at"):
        assignment.solution(str(tmp_path / "missing.py"))
    with pytest.raises(AssignmentError, match="no assignment 'nothing'"):
        find("nothing", tmp_path)


class FakeLab:
    scenario = "default"


def test_checks_report_what_failed_and_why():
    def check_passes(lab):
        """It passes."""

    def check_fails(lab):
        """It fails."""
        raise AssertionError("expected 'A', got 'a'")

    def check_breaks(lab):
        """The checker breaks."""
        raise KeyError("oops")

    from orchestrator.assignments.model import Check
    checks = [Check(f.__name__, f.__doc__, f) for f in (check_passes, check_fails, check_breaks)]
    outcomes = run_checks(checks, FakeLab())
    assert [o.passed for o in outcomes] == [True, False, False]
    assert outcomes[1].message == "expected 'A', got 'a'"
    assert "KeyError: 'oops'" in outcomes[2].message
    report = AssignmentReport("x", Path("mine.py"), Path("/r"), outcomes,
                              look_at=[Path("/r/stdout.log")])
    lines = report.lines()
    assert "  FAIL  [default] It fails." in lines and "        expected 'A', got 'a'" in lines
    assert lines[-2:] == ["1 of 3 checks passed", "look at: /r/stdout.log"]
    assert not report.passed
    assert AssignmentReport("x", Path("m"), Path("/r"), [Outcome("d", "c", "t", True)]).passed


def test_a_report_reloads_from_its_json_as_it_was():
    report = AssignmentReport("x", Path("m.py"), Path("/r"), [Outcome("d", "c", "t", False, "why")],
                              ["[d] stopped"], ["[d] p on h1 reached its memory limit (256 MB)"],
                              [Path("/r/d/stdout.log")], seed=7)
    assert AssignmentReport.from_dict(json.loads(json.dumps(report.as_dict()))) == report
