"""cookies, as shipped: both scenarios are short."""
from pathlib import Path

from orchestrator.experiment import spec
from orchestrator.experiment.runner import run_experiment

SPEC = Path(__file__).resolve().parents[3] / "experiments" / "cookies.yaml"


def test_recognised_visits_and_tracking_only_with_third_party_cookies(tmp_path, clean_machine):
    _, results = run_experiment(spec.load(SPEC), tmp_path)
    allowed = {c.name: c for c in results["allowed"].checks}
    blocked = {c.name: c for c in results["blocked"].checks}
    assert allowed["second_visit_recognised"].measured == 1
    assert allowed["tracker_sites_linked"].measured == 2
    assert blocked["tracker_sites_linked"].measured == 0
    for check in [*allowed.values(), *blocked.values()]:
        assert check.ok, check
