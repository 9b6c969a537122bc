"""What every role shares: asking again after a failure; a workload's rows
with the columns its role declares."""
import time

import pytest

from services.base import CsvWorkload, HostContext, RowsError, retrying
from services.programs.program import Program
from services.registry import ROLES
from services.web.web_client import WebClient


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
