"""The conditional GET model on made-up steps: a 304 without a body saves
the object's bytes and its transfer time; a changed object comes back 200."""
import pytest

from orchestrator.experiment import spec
from orchestrator.experiment.models import conditional_get
from orchestrator.experiment.result import RunResult, WorkloadRun
from tests.paths import EXPERIMENTS

OBJECT_BYTES = 500_000   # the spec's page_objects


def run_of(rows: list[dict]) -> RunResult:
    return RunResult("relay", (0.0, 10.0),
                     {"conditional-client": WorkloadRun("conditional-client",
                                                        "conditional-client", ["h1"], rows)},
                     {}, {}, [], {}, {}, {}, [])


def found(rows) -> dict:
    loaded = spec.load(EXPERIMENTS / "conditional-get.yaml").scenarios["revalidate"]
    quantities, _ = conditional_get.quantities(loaded, run_of(rows))
    return {q.name: q for q in quantities}


STEPS = [{"step": "first", "status": "200", "body_bytes": str(OBJECT_BYTES), "seconds": "1.4"},
         {"step": "not_modified", "status": "304", "body_bytes": "0", "seconds": "0.3"},
         {"step": "modified", "status": "200", "body_bytes": str(OBJECT_BYTES),
          "seconds": "1.4"}]


def test_a_304_saves_the_body_and_its_transfer():
    q = found(STEPS)
    assert q["not_modified_status"].measured == 304 and q["modified_status"].measured == 200
    assert q["bytes_saved"].measured == q["bytes_saved"].predicted == OBJECT_BYTES
    assert q["time_saved"].measured == pytest.approx(1.1)
    assert q["time_saved"].predicted > 0 and q["time_saved"].rtt_s > 0


def test_a_missing_step_leaves_what_needs_it_unmeasured():
    q = found(STEPS[:1])
    assert q["bytes_saved"].measured is None and q["not_modified_status"].measured is None
