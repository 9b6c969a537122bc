"""`applab assignment grade` as an instructor runs it: the shipped solutions
of two assignments and a hostile submission, two at once, each in a network
of its own; the gradebook has the expected pattern, the JUnit XML parses,
and nothing is left on the machine."""
import csv
import shutil
import subprocess
import sys
from xml.etree import ElementTree

import pytest

from orchestrator.assignments.model import REFERENCE, find

# Each run's scenarios take tens of seconds; bring-up and teardown a few.
GRADE_TIMEOUT_S = 900
FORK_BOMB = "import os\nwhile True:\n    os.fork()\n"


@pytest.mark.parametrize("name", ["udp-pinger", "udp-uppercase"])
def test_a_class_graded_two_at_once(name, tmp_path, clean_machine):
    assignment = find(name)
    submissions = tmp_path / "submissions"
    for solution, program in assignment.solutions().items():
        shutil.copy(program, (submissions / solution).mkdir(parents=True) or
                    submissions / solution / program.name)
    (submissions / "mallory.py").write_text(FORK_BOMB)
    out = tmp_path / "graded"
    done = subprocess.run([sys.executable, "-m", "orchestrator.cli", "assignment", "grade",
                           name, str(submissions), "--jobs", "2", "--out", str(out)],
                          capture_output=True, text=True, timeout=GRADE_TIMEOUT_S, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    checks = [c.name for c in assignment.checks()]
    rows = {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert set(rows) == {*assignment.solutions(), "mallory"}
    for student, row in rows.items():
        verdicts = [row[c] for c in checks]
        if student == "mallory":   # a server stuck in its fork bomb never gets ready
            assert "fail" in verdicts and "64 tasks" in row["limits"], row
            continue
        assert row["errors"] == "", (student, row)      # every run got to its checks
        if student == REFERENCE:
            assert verdicts == ["pass"] * len(checks), row
        else:
            assert "fail" in verdicts, (student, row)
    suites = ElementTree.parse(out / "junit.xml").getroot()
    assert sorted(s.get("name") for s in suites) == sorted(rows)
    assert all(len(s.findall("testcase")) == len(checks) for s in suites)
    for student in rows:
        folder = out / "students" / student
        assert (folder / "feedback.txt").read_text().startswith(student)
        page = (folder / "feedback.html").read_text()
        assert all(f'data-check="{c}"' in page for c in checks), student
        # Its own run's page, with each scenario's topology drawn.
        assert list(folder.glob("runs/*/report.html")), student
    # A second grade keeps what was graded.
    again = subprocess.run([sys.executable, "-m", "orchestrator.cli", "assignment", "grade",
                            name, str(submissions), "--out", str(out)],
                           capture_output=True, text=True, timeout=120, check=True)
    assert f"{len(rows)} graded before, kept" in again.stdout
