"""http2-hol, shortened: the clean scenario, one load per protocol."""
from pathlib import Path

from orchestrator.experiment import spec
from orchestrator.experiment.runner import run_experiment

SPEC = Path(__file__).resolve().parents[3] / "experiments" / "http2-hol.yaml"


def test_http2_small_objects_finish_first_http1_after(tmp_path, clean_machine):
    experiment = spec.load(SPEC, only=["clean"])
    experiment.scenarios["clean"].workload.params["repeat"] = 1
    _, results = run_experiment(experiment, tmp_path)
    checks = {c.name: c for c in results["clean"].checks}
    assert checks["small_before_large_http2"].measured == 1.0
    assert checks["small_before_large_pipelined"].measured == 0.0
    assert all(c.ok for c in checks.values()), [c for c in checks.values() if not c.ok]
