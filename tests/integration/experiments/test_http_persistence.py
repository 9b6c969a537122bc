"""http-persistence, shortened: one RTT, one load per mode, the spec's own checks."""
from pathlib import Path

from orchestrator.experiment import spec
from orchestrator.experiment.runner import run_experiment

REPO = Path(__file__).resolve().parents[3]
SPEC = REPO / "experiments" / "http-persistence.yaml"


def test_every_mode_within_its_model(tmp_path, clean_machine):
    experiment = spec.load(SPEC, only=["rtt100"])
    scenario = experiment.scenarios["rtt100"]
    scenario.workload.params["repeat"] = 1
    run_dir, results = run_experiment(experiment, tmp_path)
    checks = {c.name: c for c in results["rtt100"].checks}
    assert set(checks) == {f"plt_{m}" for m in
                           ("nonpersistent", "parallel", "persistent", "pipelined", "http2")}
    assert all(c.ok for c in checks.values()), [c for c in checks.values() if not c.ok]
    measured = {name: c.measured for name, c in checks.items()}
    # The textbook's ordering: persistence and parallelism both pay off.
    assert measured["plt_pipelined"] < measured["plt_persistent"] < measured["plt_nonpersistent"]
    assert measured["plt_parallel"] < measured["plt_nonpersistent"]
    assert (run_dir / "page_load.png").stat().st_size > 0
