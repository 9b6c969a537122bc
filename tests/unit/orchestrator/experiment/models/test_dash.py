"""The DASH model on hand-made segment logs: bandwidth phases from the
monitor's samples, the rate rule's pick per steady phase against the
prediction, and a session's QoE from its log."""
import json

import pytest

from orchestrator.experiment.models.dash import (
    GOODPUT_SHARE,
    SETTLE_S,
    bandwidth_phases,
    rate_rule_phases,
    session_qoe,
)

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
