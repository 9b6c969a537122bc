"""Link fidelity over bw x delay: measured RTT and goodput against configured;
and the gigabit links a data-centre or CDN scenario wants, against their goal."""
from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory

from orchestrator.emulation.linktest import run_linktest

RATES_MBPS = (1.54, 10, 100)
DELAYS_MS = (2, 20, 100)
GIGABIT_MBPS = 1000
GIGABIT_DELAYS_MS = (0, 1, 10)
# The scale issue's goal at 1 Gb/s: TCP goodput at least 90 % of the rate
# (its headers take 4.4 % of a full frame), and each one-way delay within
# half a millisecond and 2 %.
GOODPUT_GOAL = 0.90
DELAY_SLACK_MS = 0.5
DELAY_SLACK_FRACTION = 0.02


def _measured(bw: float, delay_ms: float) -> tuple[str, dict]:
    with TemporaryDirectory() as run_dir:
        result = run_linktest({"bw": bw, "delay": f"{delay_ms}ms"}, Path(run_dir))
    return result.realizer, {
        "bw_mbps": bw, "delay_ms": delay_ms,
        "rtt_configured_ms": result.rtt_ms["configured"],
        "rtt_median_ms": round(result.rtt_ms["median"], 3),
        "rtt_error_ms": round(result.rtt_ms["median"] - result.rtt_ms["configured"], 3),
        "goodput_mbps": round(result.goodput_mbps["measured"], 3),
        "goodput_fraction": round(result.goodput_mbps["measured"] / bw, 4),
    }


def gigabit_row(delay_ms: float) -> dict:
    _, row = _measured(GIGABIT_MBPS, delay_ms)
    one_way_error = row["rtt_error_ms"] / 2     # the delay applies each way
    row["delay_error_ms"] = round(one_way_error, 3)
    row["delay_goal_met"] = abs(one_way_error) <= DELAY_SLACK_MS + DELAY_SLACK_FRACTION * delay_ms
    row["goodput_goal_met"] = row["goodput_fraction"] >= GOODPUT_GOAL
    return row


def run() -> dict:
    rows = []
    realizer = None
    for bw in RATES_MBPS:
        for delay in DELAYS_MS:
            realizer, row = _measured(bw, delay)
            rows.append(row)
    gigabit = [gigabit_row(delay) for delay in GIGABIT_DELAYS_MS]
    return {"realizer": realizer, "rows": rows,
            "gigabit": {"goodput_goal": GOODPUT_GOAL,
                        "delay_goal_ms": f"±({DELAY_SLACK_MS} + {DELAY_SLACK_FRACTION:.0%})",
                        "rows": gigabit,
                        "goal_met": all(r["delay_goal_met"] and r["goodput_goal_met"]
                                        for r in gigabit)}}
