"""Link fidelity over bw x delay: measured RTT and goodput against configured."""
from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory

from orchestrator.emulation.linktest import run_linktest

RATES_MBPS = (1.54, 10, 100)
DELAYS_MS = (2, 20, 100)


def run() -> dict:
    rows = []
    realizer = None
    for bw in RATES_MBPS:
        for delay in DELAYS_MS:
            with TemporaryDirectory() as run_dir:
                result = run_linktest({"bw": bw, "delay": f"{delay}ms"}, Path(run_dir))
            realizer = result.realizer
            rows.append({
                "bw_mbps": bw, "delay_ms": delay,
                "rtt_configured_ms": result.rtt_ms["configured"],
                "rtt_median_ms": round(result.rtt_ms["median"], 3),
                "rtt_error_ms": round(result.rtt_ms["median"] - result.rtt_ms["configured"], 3),
                "goodput_mbps": round(result.goodput_mbps["measured"], 3),
                "goodput_fraction": round(result.goodput_mbps["measured"] / bw, 4),
            })
    return {"realizer": realizer, "rows": rows}
