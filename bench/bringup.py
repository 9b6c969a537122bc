"""Bring-up plus teardown of star topologies: applab against `mn` itself.

Both are timed as whole commands (interpreter start included), the same shape
(one Linux bridge, N hosts, plain links, no controller), on the same machine,
interleaved so drift in the machine hits both alike. Writes the curve (time
and time per host against N) as a plot beside the JSON.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

SIZES = (10, 100, 250, 500, 1000)
REPEATS = 5
# A 1000-host bring-up takes about a minute each way: three repeats there keep
# the benchmark near half an hour, and the spread at that size is small.
REPEATS_FROM_500 = 3
# The goal of the scale issue: applab no slower than bare Mininet at any size.
RATIO_GOAL = 1.0


def _timed(argv: list[str]) -> float:
    started = time.monotonic()
    subprocess.run(argv, check=True, capture_output=True)
    return time.monotonic() - started


def applab_once(hosts: int) -> None:
    from orchestrator.emulation.network import Network
    from topologies.builders import star_lan

    with TemporaryDirectory() as run_dir, Network(star_lan(hosts), Path(run_dir)):
        pass


def measure(hosts: int, repeats: int) -> dict:
    mn, applab = [], []
    for _ in range(repeats):
        mn.append(_timed(["mn", "--topo", f"single,{hosts}", "--switch", "lxbr",
                          "--controller", "none", "--test", "none"]))
        applab.append(_timed([sys.executable, "-m", "bench.bringup", str(hosts)]))
    row = {"hosts": hosts, "repeats": repeats, "mn_s": statistics.median(mn),
           "applab_s": statistics.median(applab)}
    row["ratio"] = round(row["applab_s"] / row["mn_s"], 3)
    row["mn_ms_per_host"] = round(1000 * row["mn_s"] / hosts, 2)
    row["applab_ms_per_host"] = round(1000 * row["applab_s"] / hosts, 2)
    return row


def plot(rows: list[dict], out: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot

    hosts = [r["hosts"] for r in rows]
    figure, (total, per_host) = pyplot.subplots(1, 2, figsize=(10, 4))
    for key, label in (("mn", "mn"), ("applab", "applab")):
        total.plot(hosts, [r[f"{key}_s"] for r in rows], marker="o", label=label)
        per_host.plot(hosts, [r[f"{key}_ms_per_host"] for r in rows], marker="o", label=label)
    total.set(xlabel="hosts", ylabel="bring-up + teardown (s)", xscale="log", yscale="log")
    per_host.set(xlabel="hosts", ylabel="ms per host", xscale="log")
    for axes in (total, per_host):
        axes.grid(True, alpha=0.3)
        axes.legend()
    figure.suptitle("Star of N hosts on one Linux bridge: medians, interleaved runs")
    figure.tight_layout()
    figure.savefig(out)
    pyplot.close(figure)
    return out


def run(plot_to: Path | None = None) -> dict:
    rows = [measure(n, REPEATS_FROM_500 if n >= 500 else REPEATS) for n in SIZES]
    result = {"goal_ratio": RATIO_GOAL, "rows": rows,
              "goal_met": all(r["ratio"] <= RATIO_GOAL for r in rows)}
    if plot_to is not None:
        result["plot"] = str(plot(rows, plot_to))
    return result


if __name__ == "__main__":
    applab_once(int(sys.argv[1]))
