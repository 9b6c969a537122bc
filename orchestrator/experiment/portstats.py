"""The controller's port counters as a second, independent measure of a
monitored link: a utilisation series like the interface counters' (same
rows), and how far the two measures are apart over the run."""
from __future__ import annotations

import bisect
from collections import defaultdict

from orchestrator.experiment.metrics import LinkGroup, Sample, utilisation_series
from orchestrator.experiment.models.base import Quantity

# Checks any scenario with a controller may state, whatever its model.
CONTROLLER_CHECKS = ("port_stats_agreement",)


def port_samples(records: list[dict], group: LinkGroup, dpid: int,
                 ports: list[int]) -> list[Sample]:
    """One sample per poll of switch ``dpid`` in which all of ``ports``
    answered: their rx and tx bytes summed (the switch's side of the link,
    as the interface counters of a switch are)."""
    polls: dict[float, dict[int, dict]] = defaultdict(dict)
    for record in records:
        if record.get("dpid") == dpid and record.get("port") in ports:
            polls[record["t"]][record["port"]] = record
    samples = []
    for time, answered in sorted(polls.items()):
        if len(answered) == len(ports):
            rx = sum(r["rx_bytes"] for r in answered.values())
            tx = sum(r["tx_bytes"] for r in answered.values())
            samples.append(Sample(time, {group.name: (rx, tx)}))
    return samples


def port_series(records: list[dict], group: LinkGroup, dpid: int,
                ports: list[int]) -> list[dict]:
    return utilisation_series(port_samples(records, group, dpid, ports), group)


def cumulative(rows: list[dict]) -> tuple[list[float], list[float], list[float]]:
    """Times, and bytes down and up since the first, from a series' rows."""
    if not rows:
        return [], [], []
    times, down, up = [rows[0]["time"] - rows[0]["interval_s"]], [0.0], [0.0]
    for row in rows:
        times.append(row["time"])
        down.append(down[-1] + row["down_bytes"])
        up.append(up[-1] + row["up_bytes"])
    return times, down, up


def _at(times: list[float], values: list[float], t: float) -> float | None:
    """``values`` linearly interpolated at ``t``; None outside the samples."""
    if not times or t < times[0] or t > times[-1]:
        return None
    k = bisect.bisect_left(times, t)
    if times[k] == t:
        return values[k]
    share = (t - times[k - 1]) / (times[k] - times[k - 1])
    return values[k - 1] + share * (values[k] - values[k - 1])


def bytes_between(rows: list[dict], start: float, end: float) -> tuple[float, float] | None:
    """Bytes down and up between ``start`` and ``end``, interpolating each
    measure's cumulative count between its samples; None if the series does
    not cover that span."""
    times, down, up = cumulative(rows)
    ends = [(_at(times, down, t), _at(times, up, t)) for t in (start, end)]
    if any(v is None for pair in ends for v in pair):
        return None
    (down0, up0), (down1, up1) = ends
    return down1 - down0, up1 - up0


def agreement(counters: list[dict], ports: list[dict], start: float,
              end: float) -> dict | None:
    """Both measures' bytes over [start, end], per direction, and the larger
    relative difference (port counters against interface counters) of the
    directions that carried anything. None if either does not cover the span."""
    by_counters = bytes_between(counters, start, end)
    by_ports = bytes_between(ports, start, end)
    if by_counters is None or by_ports is None:
        return None
    differences = [abs(p - c) / c for c, p in zip(by_counters, by_ports, strict=True) if c > 0]
    return {"counters_down_bytes": by_counters[0], "counters_up_bytes": by_counters[1],
            "ports_down_bytes": by_ports[0], "ports_up_bytes": by_ports[1],
            "relative_difference": max(differences, default=0.0)}


def agreement_quantity(run) -> tuple[Quantity, dict]:
    """How far the port counters are from the interface counters, over the
    workloads' window, on every monitor on a switch: the largest relative
    difference, and each monitor's bytes by both measures."""
    start, end = run.window
    found = {name: agreement(run.links[name].rows, series.rows, start, end)
             for name, series in run.port_stats.items()}
    measured = [a["relative_difference"] for a in found.values() if a is not None]
    explanation = ("largest relative difference of bytes carried, OpenFlow port counters "
                   f"against interface counters, on {', '.join(found) or 'no monitor'}")
    return (Quantity("port_stats_agreement", max(measured) if measured else None, 0.0, "",
                     explanation), found)
