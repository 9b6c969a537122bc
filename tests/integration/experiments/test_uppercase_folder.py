"""An experiment folder runs with its own role, model, topology builder and
link realizer, which live outside services/, the orchestrator's models,
topologies/ and the realizers."""
import json
from pathlib import Path

import pytest

from orchestrator.experiment import spec
from orchestrator.experiment.runner import run_experiment
from tests.fidelity import GOODPUT_MAX_FRACTION, GOODPUT_MIN_FRACTION, rtt_tolerance

pytestmark = pytest.mark.integration

FOLDER = Path(__file__).resolve().parent / "uppercase"


def test_a_folders_role_and_model_run(tmp_path, clean_machine):
    experiment = spec.load(FOLDER)
    assert set(experiment.catalogue.custom("role")) == {"udp-uppercase-server",
                                                       "udp-uppercase-client"}
    _, results = run_experiment(spec.load(FOLDER, only=["echo"]), tmp_path)
    checks = {c.name: c for c in results["echo"].checks}
    assert checks["replies_uppercase"].measured == 1.0
    assert all(c.ok for c in checks.values()), checks


def test_a_folders_link_realizer_passes_linktests_bounds(tmp_path, clean_machine):
    """The run calibrates the link with linktest through the folder's realizer,
    then runs the exchange over it: both within the built-in relay's bounds."""
    experiment = spec.load(FOLDER, only=["own-realizer"])
    assert set(experiment.catalogue.links) == {"copied-relay"}
    run_dir, results = run_experiment(experiment, tmp_path)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["realizer"] == "copied-relay"
    calibrated = manifest["calibration"]["client_link"]
    assert calibrated["realizer"] == "copied-relay"
    rtt = calibrated["rtt_ms"]
    assert rtt["configured"] == 20
    assert abs(rtt["median"] - 20) <= rtt_tolerance(20), rtt
    fraction = calibrated["goodput_mbps"]["measured"] / 10
    assert GOODPUT_MIN_FRACTION <= fraction <= GOODPUT_MAX_FRACTION, calibrated
    result = results["own-realizer"]
    assert result.run.realizer == "copied-relay"
    assert all(c.ok for c in result.checks), result.checks
