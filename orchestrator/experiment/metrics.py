"""Measurements the orchestrator takes itself: interface byte counters
sampled once a second, and summaries of per-request logs."""
from __future__ import annotations

import csv
import math
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_INTERVAL_S = 1.0


def parse_netdev(text: str) -> dict[str, tuple[int, int]]:
    """(rx_bytes, tx_bytes) per interface, from a /proc/PID/net/dev."""
    counters = {}
    for line in text.splitlines()[2:]:
        name, _, values = line.partition(":")
        fields = values.split()
        counters[name.strip()] = (int(fields[0]), int(fields[8]))
    return counters


@dataclass
class LinkGroup:
    """Interfaces of one node toward some peers, summed; ``tx`` is the
    node-to-peers direction ("down", capacity ``down_mbps``), ``rx`` the
    other ("up", ``up_mbps``). ``read_netdev`` returns the node's
    /proc/PID/net/dev, wherever the node runs."""

    name: str
    read_netdev: Callable[[], str]
    interfaces: list[str]
    down_mbps: float      # the capacity now
    up_mbps: float
    # Returns (backlog bytes, drops) of the queues on ``interfaces``, if watched.
    read_queue: Callable[[], tuple[int, int]] | None = None
    # (Unix time, down, up): the capacity from then on, after a run-time change.
    changes: list[tuple[float, float, float]] = field(default_factory=list)

    def __post_init__(self):
        self.first = (self.down_mbps, self.up_mbps)

    def change_capacity(self, down_mbps: float, up_mbps: float, at: float) -> None:
        self.changes.append((at, down_mbps, up_mbps))
        self.down_mbps, self.up_mbps = down_mbps, up_mbps

    def capacity_at(self, moment: float) -> tuple[float, float]:
        found = self.first
        for at, down, up in self.changes:
            if at <= moment:
                found = (down, up)
        return found

    def capacity_bits(self, start: float, end: float) -> tuple[float, float]:
        """Bits the links could carry down and up over [start, end], each
        part of it at the capacity then in force."""
        cuts = [start, *sorted(at for at, _, _ in self.changes if start < at < end), end]
        down = up = 0.0
        for begin, finish in zip(cuts, cuts[1:], strict=False):
            rate_down, rate_up = self.capacity_at(begin)
            down += rate_down * 1e6 * (finish - begin)
            up += rate_up * 1e6 * (finish - begin)
        return down, up


@dataclass
class Sample:
    time: float
    bytes: dict[str, tuple[int, int]]  # group -> (rx, tx)
    queues: dict[str, tuple[int, int]] = field(default_factory=dict)  # -> (backlog, drops)


@dataclass
class CounterSampler:
    groups: list[LinkGroup]
    interval_s: float = SAMPLE_INTERVAL_S
    samples: list[Sample] = field(default_factory=list)

    def __post_init__(self):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="counter-sampler", daemon=True)

    def sample(self) -> Sample:
        totals, queues = {}, {}
        for group in self.groups:
            counters = parse_netdev(group.read_netdev())
            rx = sum(counters[i][0] for i in group.interfaces)
            tx = sum(counters[i][1] for i in group.interfaces)
            totals[group.name] = (rx, tx)
            if group.read_queue:
                queues[group.name] = group.read_queue()
        return Sample(time.time(), totals, queues)

    def _run(self):
        next_at = time.monotonic()
        while not self._stop.is_set():
            self.samples.append(self.sample())
            next_at += self.interval_s
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def start(self):
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self):
        self._stop.set()
        self._thread.join()
        self.samples.append(self.sample())

    def latest_utilisation(self, group: str) -> float | None:
        series = utilisation_series(self.samples[-2:], self._group(group))
        return series[-1]["down"] if series else None

    def _group(self, name: str) -> LinkGroup:
        return next(g for g in self.groups if g.name == name)

    def series(self) -> dict[str, list[dict]]:
        return {g.name: utilisation_series(self.samples, g) for g in self.groups}


def utilisation_series(samples: list[Sample], group: LinkGroup) -> list[dict]:
    """Per interval: its end time, utilisation down (tx) and up (rx) (an
    interval that spans a change counts each part at the capacity then in
    force), bytes, and the capacity (Mb/s) in force at its end."""
    rows = []
    for before, after in zip(samples, samples[1:], strict=False):
        elapsed = after.time - before.time
        if elapsed <= 0:
            continue
        rx0, tx0 = before.bytes[group.name]
        rx1, tx1 = after.bytes[group.name]
        down_bits, up_bits = group.capacity_bits(before.time, after.time)
        row = {"time": after.time, "interval_s": elapsed,
               "down": 8 * (tx1 - tx0) / down_bits, "up": 8 * (rx1 - rx0) / up_bits,
               "down_bytes": tx1 - tx0, "up_bytes": rx1 - rx0}
        down_mbps, up_mbps = group.capacity_at(after.time)
        if group.name in after.queues:  # the queue on the node's egress: down
            backlog, drops = after.queues[group.name]
            row.update(queue_bytes=backlog, queue_delay_s=backlog * 8 / (down_mbps * 1e6),
                       queue_drops=drops)
        row.update(down_mbps=down_mbps, up_mbps=up_mbps)
        rows.append(row)
    return rows


def outstanding_requests(rows: list[dict], times: list[float]) -> list[int]:
    """How many requests had been issued but not answered at each of ``times``
    (Little's N(t)). Requests that never completed stay outstanding."""
    starts = sorted(float(r["start"]) for r in rows)
    ends = sorted(float(r["start"]) + float(r["delay_s"]) for r in rows if not r.get("error"))
    counts, issued, answered = [], 0, 0
    for t in sorted(times):
        while issued < len(starts) and starts[issued] <= t:
            issued += 1
        while answered < len(ends) and ends[answered] <= t:
            answered += 1
        counts.append(issued - answered)
    return counts


def backlog_growth(rows: list[dict], start: float, end: float,
                   service_rate_per_s: float) -> float | None:
    """Growth (s/s) of the delay a new request would wait behind the backlog:
    the slope of outstanding requests over [start, end], sampled each second,
    divided by the rate the bottleneck serves them."""
    times = [start + k for k in range(int(end - start) + 1)]
    if len(times) < 2 or service_rate_per_s <= 0:
        return None
    backlog = outstanding_requests(rows, times)
    return statistics.linear_regression(times, backlog).slope / service_rate_per_s


def batch_mean_stderr(values: list[float], batch: int) -> float | None:
    """Standard error of the mean of a series whose neighbours are correlated
    (a queue carries over from one second to the next): the spread of the
    means of ``batch``-long stretches, over the square root of their number."""
    means = [statistics.fmean(values[k:k + batch])
             for k in range(0, len(values) - batch + 1, batch)]
    if len(means) < 2:
        return None
    return statistics.stdev(means) / math.sqrt(len(means))


def binomial_stderr(rate: float, trials: int) -> float | None:
    """Standard error of a proportion seen in ``trials`` independent trials."""
    return math.sqrt(rate * (1 - rate) / trials) if trials else None


def mean_utilisation(series: list[dict], start: float, end: float) -> float:
    """Byte-weighted utilisation over the intervals that end inside [start, end]."""
    inside = [r for r in series if start < r["time"] <= end + 0.5]
    total_time = sum(r["interval_s"] for r in inside)
    if not total_time:
        return 0.0
    return sum(r["down"] * r["interval_s"] for r in inside) / total_time


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[index]


def delay_summary(rows: list[dict], start: float, end: float) -> dict:
    """Mean, p50, p95 and growth (least-squares slope against request time) of
    the requests issued in [start, end]."""
    issued = [r for r in rows if start <= float(r["start"]) <= end]
    done = [r for r in issued if not r.get("error")]
    delays = [float(r["delay_s"]) for r in done]
    times = [float(r["start"]) - start for r in done]
    slope = None
    if len(done) >= 2 and statistics.pvariance(times) > 0:
        slope = statistics.linear_regression(times, delays).slope
    unfinished = sum(1 for r in issued if r.get("error") == "unfinished")
    return {"issued": len(issued), "completed": len(done), "unfinished": unfinished,
            "failed": sum(1 for r in issued if r.get("error")) - unfinished,
            "mean_s": statistics.fmean(delays) if delays else None,
            "p50_s": percentile(delays, 0.5) if delays else None,
            "p95_s": percentile(delays, 0.95) if delays else None,
            "growth_s_per_s": slope}


def write_csv(path: Path, rows: list[dict]) -> None:
    """Rows with the union of their columns (workloads of different roles
    log different ones), first seen first; a row without a column leaves it
    empty."""
    if not rows:
        path.write_text("")
        return
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
