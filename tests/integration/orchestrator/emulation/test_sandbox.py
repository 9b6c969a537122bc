"""Hostile students' programs, as the UDP pinger's client: each attack is
contained and reported, and the honest checks still hold for the rest of
what the program does (the reference client, run after the attack)."""
import shutil
import subprocess
import tempfile
from pathlib import Path

import psutil
import pytest

from orchestrator.assignments.model import find
from orchestrator.assignments.runner import run_assignment
from orchestrator.emulation.sandbox import SANDBOX_USER

PINGER = find("udp-pinger")
REFERENCE = Path(PINGER.solution(None)).read_text()
# Written by the attacks wherever they could: none may exist afterwards.
TRACE = "applab-hostile-trace"
SUBMISSIONS_PARENT = "/srv"
OUTSIDE = [f"/root/{TRACE}", f"/etc/{TRACE}", f"/var/tmp/{TRACE}", f"/dev/shm/{TRACE}"]


def attempt(code: str) -> str:
    """A program that tries ``code``, says on stderr how it went, then pings honestly."""
    return ("import os, subprocess, sys\n"
            "try:\n"
            + "".join(f"    {line}\n" for line in code.splitlines()) +
            "    print('attack: done', file=sys.stderr)\n"
            "except Exception as exc:\n"
            "    print('attack: refused', type(exc).__name__, exc, file=sys.stderr)\n"
            + REFERENCE)


HONEST = {
    "writes-outside-its-home": f"for path in {OUTSIDE!r}:\n"
                               "    try:\n"
                               "        open(path, 'w').write('x')\n"
                               "    except OSError as exc:\n"
                               "        print('refused:', path, exc, file=sys.stderr)\n",
    "reads-etc-shadow": "print('shadow:', open('/etc/shadow').read(), file=sys.stderr)\n",
    "lists-the-other-submissions":
        "print('submissions:', os.listdir(os.environ.get('SUBMISSIONS', '{submissions}')),"
        " file=sys.stderr)\n",
    "changes-its-link":
        "for argv in (['tc', 'qdisc', 'del', 'dev', 'h1-eth0', 'root'],\n"
        "             ['ip', 'link', 'set', 'h1-eth0', 'down']):\n"
        "    done = subprocess.run(argv, capture_output=True, text=True)\n"
        "    print('changed:', argv, done.returncode, done.stderr, file=sys.stderr)\n",
}
AT_A_LIMIT = {
    "fork-bomb": ("while True:\n    os.fork()\n", "tasks"),
    "allocates-2gb": ("block = bytearray(2 * 2 ** 30)\n", "memory"),
    "writes-1gb-into-its-home": ("with open('big', 'wb') as f:\n"
                                 "    for _ in range(1024):\n"
                                 "        f.write(b'x' * 2 ** 20)\n", "disk"),
}


@pytest.fixture
def submissions():
    """Other students' work where only the grader's hiding keeps it from
    view (not below /tmp, which every sandbox hides anyway)."""
    folder = Path(tempfile.mkdtemp(prefix="applab-submissions-", dir=SUBMISSIONS_PARENT))
    yield folder
    shutil.rmtree(folder)


def grade(tmp_path, submissions: Path, code: str):
    (submissions / "another-student").mkdir(parents=True)
    (submissions / "another-student" / "UDPPingerClient.py").write_text(REFERENCE)
    program = tmp_path / "UDPPingerClient.py"
    program.write_text(attempt(code.replace("{submissions}", str(submissions))))
    report = run_assignment(PINGER, program, tmp_path / "out", hidden=(submissions,))
    stderr = next(p for p in report.look_at if p.parts[-2:] == ("student", "stderr.log"))
    return report, stderr.read_text()


@pytest.mark.parametrize("attack", HONEST)
def test_a_refused_attack_leaves_the_honest_checks_passing(attack, tmp_path, submissions,
                                                           clean_machine):
    report, stderr = grade(tmp_path, submissions, HONEST[attack])
    assert report.passed, (report.lines(), stderr)
    assert not any(Path(p).exists() for p in OUTSIDE)
    if attack == "writes-outside-its-home":
        # /var/tmp and /dev/shm are its own scratch space, gone with it.
        assert stderr.count("refused:") == 2, stderr
    elif attack == "reads-etc-shadow":
        assert "attack: refused PermissionError" in stderr and "root:" not in stderr
    elif attack == "lists-the-other-submissions":
        assert "submissions: []" in stderr, stderr     # hidden: an empty folder
    else:
        assert stderr.count("Operation not permitted") == 2, stderr


@pytest.mark.parametrize("attack", AT_A_LIMIT)
def test_a_program_at_a_limit_is_held_there_and_told_which(attack, tmp_path, submissions,
                                                           clean_machine):
    code, limit = AT_A_LIMIT[attack]
    report, _ = grade(tmp_path, submissions, code)
    assert not report.problems, report.lines()
    (stopped,) = report.limits_reached
    assert "student on h1" in stopped and {"tasks": "64 tasks", "memory": "memory limit",
                                           "disk": "working directory"}[limit] in stopped
    assert not list((tmp_path / "out").rglob("big")) or limit == "disk"


def test_kill_minus_one_reaches_only_itself(tmp_path, submissions, clean_machine):
    """Another program of the sandbox's user, outside this sandbox, lives on."""
    bystander = subprocess.Popen(["setpriv", f"--reuid={SANDBOX_USER}",
                                  f"--regid={SANDBOX_USER}", "--clear-groups",
                                  "sleep", "600"])
    try:
        report, stderr = grade(tmp_path, submissions, "subprocess.run(['kill', '-9', '-1'])\n")
        assert bystander.poll() is None
        assert psutil.Process(bystander.pid).is_running()
        outcomes = {o.check: o.passed for o in report.outcomes}
        assert outcomes["check_finishes"] is False, report.lines()   # it killed itself
    finally:
        bystander.kill()
        bystander.wait()
