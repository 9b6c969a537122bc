"""What every role shares: asking again after a failure."""
import time

import pytest

from services.base import retrying


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
