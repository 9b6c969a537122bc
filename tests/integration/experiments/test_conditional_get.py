"""conditional-get, as shipped: it is short."""
import json
from pathlib import Path

from orchestrator.experiment import spec
from orchestrator.experiment.runner import run_experiment

SPEC = Path(__file__).resolve().parents[3] / "experiments" / "conditional-get.yaml"


def test_304_carries_no_body_and_a_change_brings_200(tmp_path, clean_machine):
    run_dir, results = run_experiment(spec.load(SPEC), tmp_path)
    checks = {c.name: c for c in results["revalidate"].checks}
    assert checks["not_modified_body_bytes"].measured == 0
    assert checks["not_modified_status"].measured == 304
    assert checks["modified_status"].measured == 200
    assert all(c.ok for c in checks.values()), [c for c in checks.values() if not c.ok]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    (pcap,) = manifest["pcaps"]["revalidate"]
    assert Path(pcap).stat().st_size > 1000  # the three exchanges were captured
