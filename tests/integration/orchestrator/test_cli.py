"""`applab linktest --json`, the calibration users run first."""
import json
import subprocess
import sys

from tests.fidelity import rtt_tolerance

GOODPUT_RANGE_10M = (9.3, 10.0)


def test_linktest_json_reports_measured_beside_configured(tmp_path, clean_machine):
    run = subprocess.run([sys.executable, "-m", "orchestrator.cli", "linktest", "--bw", "10",
                          "--delay", "20ms", "--json", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=120, check=True)
    report = json.loads(run.stdout)
    assert report["realizer"] in ("netem", "relay")
    assert set(report["rtt_ms"]) >= {"configured", "median", "stdev"}
    assert set(report["goodput_mbps"]) == {"configured", "measured"}
    assert set(report["loss_pct"]) >= {"configured", "measured"}
    assert abs(report["rtt_ms"]["median"] - 40) <= rtt_tolerance(40)
    low, high = GOODPUT_RANGE_10M
    assert low <= report["goodput_mbps"]["measured"] <= high
    (run_dir,) = tmp_path.iterdir()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["realizer"] == report["realizer"]
    assert manifest["environment"]["kernel"]


def test_bad_link_parameter_is_refused_before_anything_starts(tmp_path, clean_machine):
    run = subprocess.run([sys.executable, "-m", "orchestrator.cli", "linktest", "--delay", "20",
                          "--out", str(tmp_path)], capture_output=True, text=True, timeout=60,
                         check=False)
    assert run.returncode == 1
    assert "link h1-s1: field 'delay'" in run.stderr
    assert list(tmp_path.iterdir()) == []
