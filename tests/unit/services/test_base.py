"""What every role shares: asking again after a failure; a workload's rows
with the columns its role declares; a program that begins with the others."""
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from orchestrator.emulation.waiting import wait_until
from services.base import (
    BEGIN_TOGETHER_ENV,
    CsvWorkload,
    HostContext,
    RowsError,
    retrying,
)
from services.programs.program import Program
from services.registry import ROLES
from services.web.web_client import WebClient
from tests.paths import REPO


def test_a_failed_action_is_asked_again_until_the_deadline():
    answers = iter([ConnectionError("name not resolved yet"), ConnectionError("again"),
                    "the manifest"])

    def action():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    result, failed_s = retrying(action, time.monotonic() + 5, ConnectionError, 0.01)
    assert result == "the manifest" and failed_s >= 0.02
    with pytest.raises(ConnectionError):
        retrying(lambda: (_ for _ in ()).throw(ConnectionError("down")), time.monotonic(),
                 ConnectionError, 0.01)


def test_other_errors_are_not_retried():
    calls = []

    def action():
        calls.append(1)
        raise ValueError("a bug, not a failure")

    with pytest.raises(ValueError):
        retrying(action, time.monotonic() + 5, ConnectionError, 0.01)
    assert len(calls) == 1


def test_every_built_in_workload_declares_its_columns_but_a_students_program():
    undeclared = [cls.role for cls in ROLES
                  if issubclass(cls, CsvWorkload) and not cls.columns and cls is not Program]
    assert undeclared == []
    assert Program.columns is None


def test_rows_with_other_columns_than_declared_are_refused_by_file(tmp_path):
    ctx = HostContext(name="w", host="h1", ip="10.0.0.1", home=tmp_path)
    output = tmp_path / WebClient.output
    output.write_text(",".join(WebClient.columns) + "\n" + ",".join("1" * 8) + "\n")
    assert len(WebClient.read_rows(ctx)) == 1
    output.write_text("start,end,delay\n1,2,3\n")
    with pytest.raises(RowsError, match=rf"{output}: columns start, end, delay; the "
                                        r"web-client role declares start, end, delay_s"):
        WebClient.read_rows(ctx)
    output.write_text("")          # a program that died before its header: no rows
    assert WebClient.read_rows(ctx) == []


# Told to begin with the others, stops; then says whether what it starts
# would be told too.
BEGINS = """
import os
from services.base import BEGIN_TOGETHER_ENV, begin_with_the_others
begin_with_the_others()
print(BEGIN_TOGETHER_ENV in os.environ, flush=True)
"""


def test_a_program_told_to_begin_together_waits_stopped_and_tells_nothing_it_starts():
    told = subprocess.Popen([sys.executable, "-c", BEGINS], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, BEGIN_TOGETHER_ENV: "1"}, cwd=REPO)
    try:
        wait_until(lambda: psutil.Process(told.pid).status() == psutil.STATUS_STOPPED,
                   10, "the program stopped itself")
        told.send_signal(signal.SIGCONT)
        assert told.communicate(timeout=10)[0].strip() == "False"
    finally:
        told.kill()
    untold = subprocess.run([sys.executable, "-c", BEGINS], capture_output=True, text=True,
                            env={k: v for k, v in os.environ.items() if k != BEGIN_TOGETHER_ENV},
                            cwd=REPO, timeout=10)
    assert untold.stdout.strip() == "False"
