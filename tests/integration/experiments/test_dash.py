"""dash-cdn, short: one rate-based player on a two-phase schedule (5 then
1.2 Mb/s) over an 80 s ladder switches down to the rung the rule predicts,
plays without a stall, and leaves no player or nginx behind."""
from pathlib import Path

import psutil

from orchestrator.experiment import spec
from orchestrator.experiment.runner import run_experiment

SPEC = Path(__file__).resolve().parents[3] / "experiments" / "dash-cdn.yaml"


def short(tmp_path) -> Path:
    text = SPEC.read_text()
    for old, new in (("duration_s: 140", "duration_s: 85"), ("video_s: 130", "video_s: 80"),
                     ("{at: 40, link:", "{at: 20, link:")):
        assert old in text, old
        text = text.replace(old, new)
    # One change only: 5 then 1.2 Mb/s.
    text = "".join(line for line in text.splitlines(keepends=True) if "{at: 80," not in line)
    path = tmp_path / "dash-cdn.yaml"
    path.write_text(text)
    return path


def leftovers() -> list[str]:
    return [" ".join(p.info["cmdline"] or []) for p in psutil.process_iter(["cmdline"])
            if any(n in part for part in p.info["cmdline"] or []
                   for n in ("services.dash_player", "nginx"))]


def test_a_rate_player_switches_down_with_the_bandwidth(tmp_path, clean_machine):
    _, results = run_experiment(spec.load(short(tmp_path), only=["abr-rate"]), tmp_path / "out")
    result = results["abr-rate"]
    phases = result.details["rate_phases"]
    assert [p["mbps"] for p in phases] == [5.0, 1.2]
    assert [(p["picked"], p["predicted"]) for p in phases] == [(3e6, 3e6), (750e3, 750e3)]
    found = {q.name: q.measured for q in result.quantities}
    assert found["rebuffer_count"] == 0
    assert leftovers() == []
