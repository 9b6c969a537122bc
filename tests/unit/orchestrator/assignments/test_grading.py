"""Grading's pure parts: finding each student's program in the layouts
learning management systems export, and the gradebook and JUnit XML
written from the grades."""
import csv
from pathlib import Path
from xml.etree import ElementTree

import pytest

from orchestrator.assignments.grading import Grade, Gradebook, find_submissions
from orchestrator.assignments.model import AssignmentError, Check, find
from orchestrator.assignments.runner import Outcome


def write(path: Path, text: str = "print('hi')\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_folder_per_student_a_file_per_student_and_lms_names(tmp_path):
    program = "UDPPingerClient.py"
    write(tmp_path / "Alice Smith_1234_assignsubmission_file_" / program)
    write(tmp_path / "bob" / "helper.py")
    write(tmp_path / "bob" / program)                      # named as the assignment names it
    write(tmp_path / "carol" / "src" / "pinger.py")        # its only Python file, deeper
    write(tmp_path / "carol" / "notes.txt", "my notes")
    write(tmp_path / "dave_LATE_5678_91011_UDPPingerClient.py")   # Canvas's flat export
    write(tmp_path / "erin.py")
    (tmp_path / "frank").mkdir()
    write(tmp_path / "gina" / "a.py")
    write(tmp_path / "gina" / "b.py")
    write(tmp_path / ".DS_Store", "")
    found = {s.student: s for s in find_submissions(tmp_path, program)}
    assert set(found) == {"Alice Smith", "bob", "carol", "dave", "erin", "frank", "gina"}
    assert found["Alice Smith"].program.name == program
    assert found["bob"].program == tmp_path / "bob" / program
    assert found["carol"].program.name == "pinger.py"
    assert found["dave"].program.name.endswith(program)
    assert found["erin"].program == tmp_path / "erin.py"
    assert found["frank"].program is None and found["frank"].problem == "an empty folder"
    assert found["gina"].program is None and "no UDPPingerClient.py" in found["gina"].problem
    assert found["Alice Smith"].folder_name == "Alice_Smith"


def test_two_submissions_for_one_student_are_refused(tmp_path):
    write(tmp_path / "bob.py")
    write(tmp_path / "bob" / "UDPPingerClient.py")
    with pytest.raises(AssignmentError, match="two submissions for bob"):
        find_submissions(tmp_path, "UDPPingerClient.py")


def test_the_shipped_assignments_name_their_students_programs():
    assert find("udp-pinger").program_name == "UDPPingerClient.py"
    assert find("web-server").program_name == "WebServer.py"


CHECKS = [Check("check_a", "It does a.", None), Check("check_b", "It does b.", None)]


def test_the_gradebook_has_a_column_per_check_and_junit_a_case_per_check(tmp_path):
    grades = [
        Grade("alice", "a.py", 1, [Outcome("default", "check_a", "It does a.", True),
                                   Outcome("default", "check_b", "It does b.", True)]),
        Grade("bob", "b.py", 1, [Outcome("default", "check_a", "It does a.", True),
                                 Outcome("default", "check_b", "It does b.", False, "no b")],
              limits_reached=["[default] student on h1 reached its memory limit (256 MB)"]),
        Grade("carol", "c.py", 1, problems=["[default] service student did not start"]),
    ]
    Gradebook(find("udp-pinger"), CHECKS, grades, skipped=[]).write(tmp_path)
    rows = list(csv.DictReader((tmp_path / "gradebook.csv").open()))
    assert [(r["student"], r["check_a"], r["check_b"], r["score"]) for r in rows] == [
        ("alice", "pass", "pass", "2/2"), ("bob", "pass", "fail", "1/2"),
        ("carol", "fail", "fail", "0/2")]
    assert "memory limit" in rows[1]["limits"] and "did not start" in rows[2]["errors"]
    suites = ElementTree.parse(tmp_path / "junit.xml").getroot()
    assert [s.get("name") for s in suites] == ["alice", "bob", "carol"]
    bob = suites[1]
    assert bob.get("failures") == "1" and bob.find("testcase[@name='check_b']/failure").text == \
        "no b"
    assert len(suites[2].findall("testcase/error")) == 2    # not run: its run stopped first
