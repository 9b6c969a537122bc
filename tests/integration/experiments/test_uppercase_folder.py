"""An experiment folder runs with its own role and model, which live
outside services/ and the orchestrator's models."""
from pathlib import Path

import pytest

from orchestrator.experiment import spec
from orchestrator.experiment.runner import run_experiment

pytestmark = pytest.mark.integration

FOLDER = Path(__file__).resolve().parent / "uppercase"


def test_a_folders_role_and_model_run(tmp_path, clean_machine):
    experiment = spec.load(FOLDER)
    assert set(experiment.catalogue.custom("role")) == {"udp-uppercase-server",
                                                       "udp-uppercase-client"}
    _, results = run_experiment(experiment, tmp_path)
    checks = {c.name: c for c in results["echo"].checks}
    assert checks["replies_uppercase"].measured == 1.0
    assert all(c.ok for c in checks.values()), checks
