"""Link fidelity over bw x delay: measured RTT and goodput against configured;
and the gigabit links a data-centre or CDN scenario wants, against their goal,
on this machine's realizer and, where the machine has no sch_netem, on netem
inside the user-mode kernel beside it."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from tempfile import TemporaryDirectory

from orchestrator.emulation.links.realizers import NETEM
from orchestrator.emulation.linktest import run_linktest

REPO = Path(__file__).resolve().parents[1]
UML_RUN = REPO / "scripts" / "uml" / "run.sh"
# How linktest's JSON report begins.
REPORT_START = '{"realizer"'

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


def _row(bw: float, delay_ms: float, rtt_ms: dict, goodput_mbps: dict) -> dict:
    return {
        "bw_mbps": bw, "delay_ms": delay_ms,
        "rtt_configured_ms": rtt_ms["configured"],
        "rtt_median_ms": round(rtt_ms["median"], 3),
        "rtt_error_ms": round(rtt_ms["median"] - rtt_ms["configured"], 3),
        "goodput_mbps": round(goodput_mbps["measured"], 3),
        "goodput_fraction": round(goodput_mbps["measured"] / bw, 4),
    }


def _measured(bw: float, delay_ms: float) -> tuple[str, dict]:
    with TemporaryDirectory() as run_dir:
        result = run_linktest({"bw": bw, "delay": f"{delay_ms}ms"}, Path(run_dir))
    return result.realizer, _row(bw, delay_ms, result.rtt_ms, result.goodput_mbps)


def _measured_in_user_mode_kernel(bw: float, delay_ms: float) -> dict:
    """The same linktest on netem, inside the user-mode kernel (one CPU)."""
    ran = subprocess.run(["bash", str(UML_RUN), "env", "MPLCONFIGDIR=/tmp/matplotlib",
                          ".venv/bin/applab", "linktest", "--realizer", NETEM, "--bw", str(bw),
                          "--delay", f"{delay_ms}ms", "--json"],
                         capture_output=True, text=True, cwd=REPO, check=True)
    # The kernel's one console carries the report among its own lines.
    report, _ = json.JSONDecoder().raw_decode(ran.stdout[ran.stdout.index(REPORT_START):])
    return _row(bw, delay_ms, report["rtt_ms"], report["goodput_mbps"])


def _measured_here(bw: float, delay_ms: float) -> dict:
    return _measured(bw, delay_ms)[1]


def gigabit_row(delay_ms: float, measure=_measured_here) -> dict:
    """One gigabit link (``measure``: here, or in the user-mode kernel) against the goal."""
    row = measure(GIGABIT_MBPS, delay_ms)
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
    gigabit = {"goodput_goal": GOODPUT_GOAL,
               "delay_goal_ms": f"±({DELAY_SLACK_MS} + {DELAY_SLACK_FRACTION:.0%})",
               **_gigabit(realizer, [gigabit_row(delay) for delay in GIGABIT_DELAYS_MS])}
    if realizer != NETEM and UML_RUN.exists():
        gigabit["netem_in_user_mode_kernel"] = _gigabit(NETEM, [
            gigabit_row(delay, _measured_in_user_mode_kernel) for delay in GIGABIT_DELAYS_MS])
    return {"realizer": realizer, "rows": rows, "gigabit": gigabit}


def _gigabit(realizer: str, rows: list[dict]) -> dict:
    return {"realizer": realizer, "rows": rows,
            "goal_met": all(r["delay_goal_met"] and r["goodput_goal_met"] for r in rows)}
