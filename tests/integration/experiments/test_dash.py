"""dash-cdn, short, over an 80 s ladder: one rate-based player on a
two-phase schedule (5 then 1.2 Mb/s) switches down to the rung the rule
predicts and plays without a stall; KingCDN's DNS sends a viewer in each of
two networks to a different edge, its own; a killed edge's viewer moves to
the next one; no player, nginx or DNS server is left behind."""
from pathlib import Path

import psutil

from orchestrator.experiment import spec
from orchestrator.experiment.runner import run_experiment

SPEC = Path(__file__).resolve().parents[3] / "experiments" / "dash-cdn.yaml"


# The failover check's bound, as the spec states it.
FAILOVER_BOUND_S = 8.5


def short(tmp_path, duration_s: int = 85) -> Path:
    """The spec over an 80 s ladder, one viewer per network, events sooner."""
    text = SPEC.read_text()
    for old, new in (("duration_s: 140", f"duration_s: {duration_s}"),
                     ("video_s: 130", "video_s: 80"), ("{at: 40, link:", "{at: 20, link:"),
                     ("count: 8, prefix: east", "count: 1, prefix: east"),
                     ("count: 8, prefix: west", "count: 1, prefix: west"),
                     ("{at: 60, service: edge-east", "{at: 15, service: edge-east")):
        assert old in text, old
        text = text.replace(old, new)
    text = text.replace('["east[1-8]", "west[1-8]"]', "[east1, west1]")
    # One change only: 5 then 1.2 Mb/s.
    text = "".join(line for line in text.splitlines(keepends=True) if "{at: 80," not in line)
    path = tmp_path / "dash-cdn.yaml"
    path.write_text(text)
    return path


def leftovers() -> list[str]:
    return [" ".join(p.info["cmdline"] or []) for p in psutil.process_iter(["cmdline"])
            if any(n in part for part in p.info["cmdline"] or []
                   for n in ("services.video.player", "nginx", "pdns_server", "unbound", "named"))]


def test_a_rate_player_switches_down_with_the_bandwidth(tmp_path, clean_machine):
    _, results = run_experiment(spec.load(short(tmp_path), only=["abr-rate"]), tmp_path / "out")
    result = results["abr-rate"]
    phases = result.details["rate_phases"]
    assert [p["mbps"] for p in phases] == [5.0, 1.2]
    assert [(p["picked"], p["predicted"]) for p in phases] == [(3e6, 3e6), (750e3, 750e3)]
    found = {q.name: q.measured for q in result.quantities}
    assert found["rebuffer_count"] == 0
    assert leftovers() == []


def edges_used(result, host: str) -> list[str]:
    return [segment["edge"] for segment in result.details["segments"][host]]


def test_the_cdn_dns_sends_each_network_to_its_own_edge(tmp_path, clean_machine):
    _, results = run_experiment(spec.load(short(tmp_path, duration_s=20), only=["enter-deep"]),
                                tmp_path / "out")
    result = results["enter-deep"]
    east, west = set(edges_used(result, "east1")), set(edges_used(result, "west1"))
    # One answer each, and not the same one: the one nearest each network.
    assert len(east) == len(west) == 1 and east != west
    assert {q.name: q.measured for q in result.quantities}["nearest_edge_share"] == 1.0
    assert leftovers() == []


def test_a_killed_edge_is_avoided(tmp_path, clean_machine):
    _, results = run_experiment(spec.load(short(tmp_path, duration_s=35), only=["failover"]),
                                tmp_path / "out")
    result = results["failover"]
    moved = result.details["failover"]["east1"]
    # East's viewer goes to the next edge in its order, west's own.
    assert moved["to"] == edges_used(result, "west1")[0] != moved["from"]
    assert moved["failing_s"] <= FAILOVER_BOUND_S
    assert edges_used(result, "east1")[-1] == moved["to"]
    assert leftovers() == []
