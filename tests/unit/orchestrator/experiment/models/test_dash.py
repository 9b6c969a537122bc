"""The DASH model on hand-made segment logs: bandwidth phases from the
monitor's samples, the rate rule's pick per steady phase against the
prediction, a session's QoE from its log, stalls by cause, and a CDN's
viewers on their nearest edge and after one fails."""
import json
from pathlib import Path

import pytest

from orchestrator.experiment import spec
from orchestrator.experiment.models.dash import (
    GOODPUT_SHARE,
    SETTLE_S,
    bandwidth_phases,
    cdn_quantities,
    rate_rule_phases,
    session_qoe,
    stall_causes,
)
from orchestrator.experiment.result import EventRecord, RunResult

LADDER = [300e3, 750e3, 1.5e6, 3e6]
START = 1000.0


def segment(t, bps, stalled=0.0):
    return {"kind": "segment", "time": str(START + t), "bitrate_bps": str(int(bps)),
            "stalled_s": str(stalled), "buffer_s": "10", "throughput_bps": "1", "edge": ""}


def test_phases_are_runs_of_one_capacity():
    samples = [{"time": START + t, "down_mbps": bw}
               for t, bw in [(1, 5), (2, 5), (3, 1.2), (4, 1.2), (5, 4.5)]]
    assert bandwidth_phases(samples, START) == [
        {"from": 1, "to": 2, "mbps": 5}, {"from": 3, "to": 4, "mbps": 1.2},
        {"from": 5, "to": 5, "mbps": 4.5}]


def test_the_rate_rule_is_judged_on_what_it_played_after_settling():
    phases = [{"from": 0.0, "to": 40.0, "mbps": 5.0}, {"from": 40.0, "to": 80.0, "mbps": 1.2}]
    # Before the settling time in the second phase it still plays 3 Mb/s.
    rows = [segment(t, 3e6) for t in range(12, 40, 2)] + \
           [segment(t, 3e6) for t in range(41, 40 + int(SETTLE_S), 2)] + \
           [segment(t, 750e3) for t in range(52, 80, 2)]
    found = rate_rule_phases({"viewer": ({"rule": "rate", "safety": 0.8}, rows)}, phases,
                             LADDER, START)
    assert [(p["picked"], p["predicted"]) for p in found] == [(3e6, 3e6), (750e3, 750e3)]
    # The prediction's limit: safety × bandwidth × the payload's share of the wire.
    assert 0.8 * 1.2e6 * GOODPUT_SHARE > 750e3 and pytest.approx(0.95, abs=0.02) == GOODPUT_SHARE
    assert rate_rule_phases({"v": ({"rule": "bba"}, rows)}, phases, LADDER, START) == []


def test_a_session_s_qoe_comes_from_its_finished_row():
    rows = [segment(2, 300e3), segment(4, 3e6),
            {"kind": "finished", "time": "0", "stalled_s": "1.5",
             "detail": json.dumps({"startup_s": 0.4, "played_s": 4.0, "stalls_s": [1.5]})}]
    found = session_qoe(rows, top_bps=3e6)
    assert found.startup_s == 0.4 and found.rebuffer_count == 1
    assert found.rebuffer_ratio == pytest.approx(1.5 / 5.5) and found.switches == 1


def finished(stalls_at):
    return {"kind": "finished", "time": "0", "stalled_s": "0",
            "detail": json.dumps({"startup_s": 1, "played_s": 10, "stalls_s": [],
                                  "stalls_at": stalls_at})}


def test_a_stall_is_the_machine_s_when_the_cores_were_saturated_during_it():
    busy = [[START, 50.0], [START + 1, 97.0], [START + 2, 40.0], [START + 3, 30.0]]
    sessions = {"a": ({}, [finished([[START + 0.5, START + 0.8]])]),      # 0-1 s: 97 %
                "b": ({}, [finished([[START + 2.2, START + 2.6]])])}      # 2-3 s: 30 %
    machine, network = stall_causes(sessions, busy)
    assert machine.measured == pytest.approx(0.3) and network.measured == pytest.approx(0.4)


DASH_CDN = Path(__file__).resolve().parents[5] / "experiments" / "dash-cdn.yaml"


def cdn_run(scenario, rows_by_host, events=()):
    addresses = {"edge-east": "10.0.2.3", "edge-west": "10.0.3.3", "cluster": "10.0.4.2"}
    for host in scenario.topology.build().hosts():
        addresses.setdefault(host, f"10.9.{len(addresses)}.1")
    return RunResult(realizer="relay", window=(START, START + 100), workloads={},
                     services={}, links={}, events=list(events), addresses=addresses,
                     link_params={}, link_stats={}, pcaps=[])


def played(host_edges):
    """Segments at 10, 20, ... s from the given edges, the last one's failures first."""
    return [{"kind": "segment", "time": str(START + 10 * (i + 1)), "edge": edge,
             "stalled_s": str(stall), "detail": str(failing)}
            for i, (edge, failing, stall) in enumerate(host_edges)]


def test_viewers_on_their_nearest_edge_and_how_long_a_failed_edge_s_viewer_failed():
    scenario = spec.load(DASH_CDN, only=["failover"]).scenarios["failover"]
    params = {"name": "video.netcinema.com"}
    sessions = {
        # east's order: its own edge, then west's (44 ms), then the cluster (52 ms)
        "east1": (params, played([("10.0.2.3", 0, 0), ("10.0.2.3", 0, 0),
                                  ("10.0.3.3", 1.5, 0.5), ("10.0.3.3", 0, 0.5)])),
        "west1": (params, played([("10.0.3.3", 0, 0), ("10.0.4.2", 0, 0)]))}
    killed = EventRecord(at_s=25, kind="service_kill", target="edge-east", happened_s=25.0)
    details = {}
    found = {q.name: q.measured for q in cdn_quantities(
        scenario, cdn_run(scenario, sessions, [killed]), sessions, details)}
    # Before the failure, three of four segments came from the nearest edge
    # (west1's second from the cluster); after it, none counts.
    assert found["nearest_edge_share"] == 0.75
    assert details["failover"] == {"east1": {"from": "10.0.2.3", "to": "10.0.3.3",
                                             "failing_s": 1.5, "stalled_s": 0.5}}
    assert found["failover_s"] == 1.5 and found["failover_stall_s"] == 0.5
