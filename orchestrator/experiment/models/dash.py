"""DASH (Kurose & Ross, "Video streaming and content distribution
networks"): the client measures the bandwidth, asks for one segment at a
time and picks the highest rate it can sustain; a playout buffer absorbs
the rest.

Read from each player's segment log: the QoE figures players are compared
by (services/video/dash/qoe.py), and, under a bandwidth schedule on the monitor
``bottleneck``, whether the rate-based rule picks, in each steady phase, the
highest representation below its safety factor times the phase's goodput.

Players that stream from a name the CDN's DNS steers: whether each fetched
from the edge nearest its local DNS server (the order the CDN's DNS was
given), and, when the timeline kills an edge, how long each of its players
kept failing before another edge served it, and how long it stalled.
"""
from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import asdict

from orchestrator.experiment.models.base import Quantity, Requires
from orchestrator.experiment.plots import ScenarioPlot, mark_events
from orchestrator.experiment.resources import MACHINE_BUSY_PERCENT, saturated
from services.video.cdn_edge import NginxEdge
from services.video.dash.abr import highest_at_most
from services.video.dash.qoe import LAMBDA, qoe
from services.video.player import DashPlayer
from services.web.http_wire import wire_bytes

CHECKS = ("average_bitrate_mbps", "switches", "rebuffer_count", "rebuffer_ratio", "startup_s",
          "linear_qoe", "throughput_mbps", "rtt_ms", "rate_follows_bandwidth",
          "edge_hit_rate", "nearest_edge_share", "failover_s", "failover_stall_s",
          "machine_stall_s", "network_stall_s")
REQUIRES = Requires(pooled_workload_roles=(DashPlayer.role,))
PLAYER_ROLE, EDGE_ROLE = DashPlayer.role, NginxEdge.role
# A phase's first seconds belong to the change: the rate rule's estimate is
# the harmonic mean of its last three segments, up to 2 s apart each.
SETTLE_S = 10.0
# A segment's payload share of what crosses the link (HTTP, TCP, IP and
# Ethernet headers), for a segment of the middle rung.
TYPICAL_SEGMENT_BYTES = 375_000
GOODPUT_SHARE = TYPICAL_SEGMENT_BYTES / wire_bytes(TYPICAL_SEGMENT_BYTES)


def quantities(spec, run) -> tuple[list[Quantity], dict]:
    sessions = {}
    bitrates = set()
    for name, workload in spec.all_workloads.items():
        if workload.role != PLAYER_ROLE or name not in run.workloads:
            continue
        by_host: dict[str, list[dict]] = {}
        for row in run.workloads[name].rows:
            by_host.setdefault(row["client"], []).append(row)
        for host, rows in by_host.items():
            sessions[host] = (workload.params_for(host), rows)
            bitrates |= {float(r["bitrate_bps"]) for r in rows if r["kind"] == "segment"}
    top = max(bitrates, default=0.0)
    figures = {host: session_qoe(rows, top) for host, (_, rows) in sessions.items()}
    done = [f for f in figures.values() if f is not None]

    def mean(field: str) -> float | None:
        values = [getattr(f, field) for f in done if getattr(f, field) is not None]
        return statistics.fmean(values) if values else None

    found = [
        Quantity("average_bitrate_mbps", mean("average_bitrate_mbps"), None, "Mb/s",
                 "bitrate of the segments played, averaged over players"),
        Quantity("switches", mean("switches"), None, "", "representation changes per player"),
        Quantity("rebuffer_count", mean("rebuffer_count"), None, "",
                 "stalls after play started, per player"),
        Quantity("rebuffer_ratio", mean("rebuffer_ratio"), 0.0, "",
                 "time stalled over time stalled and playing"),
        Quantity("startup_s", mean("startup_s"), None, "s",
                 "from the player's start to the first frame shown"),
        Quantity("linear_qoe", mean("linear_qoe"), None, "",
                 f"per segment: Mb/s - {LAMBDA:g}·|Mb/s switched| - μ·s stalled "
                 f"(μ = {top / 1e6:g}, the top rung)")]
    throughputs = [float(r["throughput_bps"]) / 1e6 for _, rows in sessions.values()
                   for r in rows if r["kind"] == "segment"]
    found.append(Quantity("throughput_mbps", statistics.fmean(throughputs) if throughputs
                          else None, None, "Mb/s", "each segment's bytes over its download time"))
    rtts = [float(r["rtt_ms"]) for _, rows in sessions.values() for r in rows
            if r["kind"] == "segment" and r.get("rtt_ms")]
    found.append(Quantity("rtt_ms", statistics.fmean(rtts) if rtts else None, None, "ms",
                          "the kernel's smoothed RTT to the server, at each segment"))
    edges = {name: run.services.get(name, {}) for name, service in spec.services.items()
             if service.role == EDGE_ROLE}
    served = [m for m in edges.values() if m.get("requests")]
    if served:
        found.append(Quantity(
            "edge_hit_rate", sum(m["hits"] for m in served) / sum(m["requests"] for m in served),
            None, "", "requests the edges answered from their caches"))
    details = {"sessions": {h: asdict(f) for h, f in figures.items() if f is not None},
               "segments": {h: segment_series(rows, run.window[0])
                            for h, (_, rows) in sessions.items()}}
    found += cdn_quantities(spec, run, sessions, details)
    found += stall_causes(sessions, run.resources.get("cores_busy", []))
    if "bottleneck" in run.links:
        phases = bandwidth_phases(run.links["bottleneck"].rows, run.window[0])
        details["schedule"] = phases
        followed = rate_rule_phases(sessions, phases, sorted(bitrates), run.window[0])
        if followed:
            details["rate_phases"] = followed
            found.append(rate_rule_quantity(followed))
    return found, details


def cdn_quantities(spec, run, sessions: dict, details: dict) -> list[Quantity]:
    steered = {h: params["name"] for h, (params, _) in sessions.items() if params.get("name")}
    if not steered or not spec.dns or not spec.dns.steered:
        return []
    names = spec.dns.plan(list(run.addresses), {n: s.host for n, s in spec.services.items()}
                          ).build(run.addresses, distance=spec.topology.build().rttMs)
    failed = [e for e in run.events if e.kind.stops_a_service
              and spec.services[e.target].role == EDGE_ROLE and e.happened_s is not None]
    failed_at = min((e.happened_s for e in failed), default=float("inf"))
    dead = {run.addresses[spec.services[e.target].host] for e in failed}
    nearest, fetched, failover = 0, 0, {}
    for host, name in steered.items():
        order = names.edge_orders.get(names.canonical(name), {}).get(spec.dns.resolver_of(host))
        segments = [r for r in sessions[host][1] if r["kind"] == "segment"]
        before = [r for r in segments if float(r["time"]) - run.window[0] < failed_at]
        if order:
            fetched += len(before)
            nearest += sum(r["edge"] == run.addresses[order[0]] for r in before)
        after = [r for r in segments if float(r["time"]) - run.window[0] >= failed_at]
        if before and before[-1]["edge"] in dead:
            moved = next((r for r in after if r["edge"] not in dead), None)
            failover[host] = {
                "from": before[-1]["edge"], "to": moved["edge"] if moved else None,
                "failing_s": sum(float(r["detail"] or 0) for r in after[:after.index(moved) + 1])
                if moved else None,
                "stalled_s": float((after or before)[-1]["stalled_s"])
                - float(before[-1]["stalled_s"])}
    found = [Quantity("nearest_edge_share", nearest / fetched if fetched else None, 1.0, "",
                      "segments fetched, before any edge failed, from the edge nearest the "
                      "player's local DNS server")]
    if failover:
        details["failover"] = failover
        moved = [f["failing_s"] for f in failover.values() if f["failing_s"] is not None]
        found += [
            Quantity("failover_s", max(moved) if len(moved) == len(failover) else None, None,
                     "s", "longest a player of the failed edge kept failing before another "
                     "edge served it (none: one never moved)"),
            Quantity("failover_stall_s", max(f["stalled_s"] for f in failover.values()), None,
                     "s", "longest a player of the failed edge stalled after the failure")]
    return found


def stall_causes(sessions: dict, busy: list[list[float]]) -> list[Quantity]:
    """Stall seconds split by cause: the machine's (its cores were saturated
    during the stall) or the network's."""
    machine = network = 0.0
    for _, rows in sessions.values():
        finished = next((r for r in rows if r["kind"] == "finished"), None)
        for begin, end in json.loads(finished["detail"]).get("stalls_at", []) if finished else []:
            # The machine's when its cores were saturated: the player waited for a CPU.
            if saturated(busy, begin, end):
                machine += end - begin
            else:
                network += end - begin
    return [Quantity("machine_stall_s", machine, None, "s",
                     f"stall seconds, over all players, while the cores were at least "
                     f"{MACHINE_BUSY_PERCENT:g} % busy"),
            Quantity("network_stall_s", network, None, "s", "the other stall seconds")]


def rate_rule_quantity(followed: list[dict]) -> Quantity:
    judged = [p for p in followed if p["picked"] is not None]
    return Quantity(
        "rate_follows_bandwidth",
        sum(p["picked"] == p["predicted"] for p in judged) / len(judged) if judged else None,
        1.0, "", f"steady phases (after {SETTLE_S:g} s) in which the rate rule's most played "
        f"rung is the highest below safety × bandwidth × {GOODPUT_SHARE:.3f} (the payload's "
        "share of the wire)")


def session_qoe(rows: list[dict], top_bps: float):
    segments = [r for r in rows if r["kind"] == "segment"]
    finished = next((r for r in rows if r["kind"] == "finished"), None)
    if not segments:
        return None
    if finished is not None:
        ending = json.loads(finished["detail"])
        stalls, played, startup = ending["stalls_s"], ending["played_s"], ending["startup_s"]
    else:   # cut short by the run's end: what the last segment saw
        stalls = [float(segments[-1]["stalled_s"])] if float(segments[-1]["stalled_s"]) else []
        played, startup = None, None
    return qoe([float(r["bitrate_bps"]) for r in segments], stalls,
               played if played is not None else 0.0, startup, top_bps)


def segment_series(rows: list[dict], start: float) -> list[dict]:
    return [{"t": float(r["time"]) - start, "bitrate_mbps": float(r["bitrate_bps"]) / 1e6,
             "buffer_s": float(r["buffer_s"]), "throughput_mbps": float(r["throughput_bps"]) / 1e6,
             "edge": r["edge"]} for r in rows if r["kind"] == "segment"]


def bandwidth_phases(samples: list[dict], start: float) -> list[dict]:
    """Runs of samples at one capacity: [{from, to, mbps}] in seconds."""
    phases: list[dict] = []
    for sample in samples:
        t, mbps = float(sample["time"]) - start, float(sample["down_mbps"])
        if phases and phases[-1]["mbps"] == mbps:
            phases[-1]["to"] = t
        else:
            phases.append({"from": t, "to": t, "mbps": mbps})
    return phases


def rate_rule_phases(sessions: dict, phases: list[dict], ladder: list[float],
                     start: float) -> list[dict]:
    """For each phase and rate-rule player: the rung it played most after
    the settling time, against the highest rung below the rule's limit."""
    found = []
    for host, (params, rows) in sessions.items():
        if params.get("rule", "rate") != "rate":
            continue
        safety = float(params.get("safety", 0.8))
        for phase in phases:
            picked = Counter(
                float(r["bitrate_bps"]) for r in rows if r["kind"] == "segment" and
                phase["from"] + SETTLE_S <= float(r["time"]) - start <= phase["to"])
            limit = safety * phase["mbps"] * 1e6 * GOODPUT_SHARE
            found.append({"host": host, **phase,
                          "predicted": ladder[highest_at_most(ladder, limit)] if ladder else None,
                          "picked": picked.most_common(1)[0][0] if picked else None})
    return found


def report_lines(details: dict) -> list[str]:
    lines = [f"{host}: edge {f['from']} failed; {f['to'] or 'no other edge'} after "
             f"{'—' if f['failing_s'] is None else format(f['failing_s'], '.1f')} s of failures, "
             f"{f['stalled_s']:.1f} s stalled" for host, f in details.get("failover", {}).items()]
    for phase in details.get("rate_phases", []):
        shown = "—" if phase["picked"] is None else f"{phase['picked'] / 1e6:g}"
        lines.append(f"{phase['host']} {phase['from']:.0f}-{phase['to']:.0f} s at "
                     f"{phase['mbps']:g} Mb/s: played {shown} Mb/s, predicted "
                     f"{phase['predicted'] / 1e6:g} Mb/s")
    return lines


def _draw_playback(ax, scenario) -> None:
    """Each player's bitrate (steps) and buffer (dotted, right axis), with the
    bottleneck's capacity and the timeline's events."""
    buffers = ax.twinx()
    for host, segments in sorted(scenario.details["segments"].items()):
        times = [s["t"] for s in segments]
        line, = ax.step(times, [s["bitrate_mbps"] for s in segments], where="post",
                        label=f"{host} bitrate")
        buffers.plot(times, [s["buffer_s"] for s in segments], linestyle=":",
                     color=line.get_color(), label=f"{host} buffer")
    for phase in scenario.details.get("schedule", []):
        ax.plot([phase["from"], phase["to"]], [phase["mbps"]] * 2, color="black",
                linewidth=2, alpha=0.4)
    mark_events(ax, scenario.run)
    ax.set_xlabel("time since the workloads started (s)")
    ax.set_ylabel("bitrate, and the link's capacity in grey (Mb/s)")
    buffers.set_ylabel("buffer (s)")
    ax.set_ylim(bottom=0)
    buffers.set_ylim(bottom=0)


def _draw_edge_requests(ax, scenario) -> None:
    """Segments each server sent per 5 s: which edges the players used, when."""
    per_server: dict[str, Counter] = {}
    for segments in scenario.details["segments"].values():
        for segment in segments:
            bin_s = 5 * int(segment["t"] // 5)
            per_server.setdefault(segment["edge"], Counter())[bin_s] += 1
    names = {ip: host for host, ip in scenario.run.addresses.items()}
    for server, counts in sorted(per_server.items()):
        times = sorted(counts)
        ax.step(times, [counts[t] for t in times], where="post", label=names.get(server, server))
    mark_events(ax, scenario.run)
    ax.set_xlabel("time since the workloads started (s)")
    ax.set_ylabel("segments served per 5 s")


PLOTS = (ScenarioPlot("dash_playback", "Each player's bitrate and buffer, with the "
                      "bottleneck's capacity", _draw_playback,
                      lambda scenario: bool(scenario.details.get("schedule")),
                      panel_size=(7.0, 4.9)),
         ScenarioPlot("dash_edges", "Segments each server sent per 5 s",
                      _draw_edge_requests,
                      lambda scenario: bool(scenario.details.get("segments")),
                      panel_size=(7.0, 4.9)))
