"""HTTP/3 beside HTTP/2 and HTTP/1.1 (Kurose & Ross, end of "HTTP/2").

Handshake: the first byte of a page over HTTPS on TCP comes three round
trips after connecting starts (TCP's handshake, TLS 1.3's, the request);
over QUIC two (the transport and TLS handshakes are one; the request
follows the client's Finished). ``ttfb_*`` is measured from the first SYN or
QUIC Initial to the base page's first byte.

Head-of-line blocking: one large object and several small ones on one
connection. HTTP/1.1 answers in order (small objects wait for the large
one); HTTP/2 interleaves streams, but over TCP a lost segment holds back
every byte behind it, whichever stream it belongs to; HTTP/3's streams are
QUIC's, delivered each on its own. For each small object that lost nothing
on the way, ``undamaged_stall_*`` is how long after its last byte reached
the client host the program could read it (``models.arrivals``; TCP from a
capture of the client's interface, QUIC from the client's qlog), and
``held_share_*`` the share of them held longer than ``HELD_S``.

A lost TCP segment holds back the bytes that came after it until its
retransmission arrives, about a round trip: at 2 % and 5 % loss that is an
object here and there, not most of them. Under loss the large object
finishes sooner over QUIC (``large_done_*``: QUIC recovers from losses
faster than TCP here), which the stall leaves out.
"""
from __future__ import annotations

import statistics
from pathlib import Path

from orchestrator.experiment.models.arrivals import (
    parse_ranges,
    quic_streams,
    reached,
    tcp_streams,
)
from orchestrator.experiment.models.base import Quantity, Requires
from orchestrator.experiment.models.http_hol import loads, predicted_small_done_s
from orchestrator.experiment.models.http_pages import path_of
from orchestrator.experiment.plots import ScenarioPlot
from services.web.page_client import PageClient

HANDSHAKE_RTTS = {"https": 3, "http3": 2}
# An object counts as held once it waited this long after reaching the host:
# above the client's own time to read what came (at most 3.6 ms for HTTP/3
# here, where nothing holds a stream back).
HELD_S = 0.005
HOL_MODES = ("pipelined", "http2", "http3")
CHECKS = (*(f"ttfb_{mode}" for mode in HANDSHAKE_RTTS), "handshake_rtts_saved",
          *(f"{kind}_{mode}" for mode in HOL_MODES
            for kind in ("small_done", "large_done", "undamaged_stall", "held_share",
                         "damaged_share")),
          "stall_saved_http3")

REQUIRES = Requires(workload_roles=(PageClient.role,))


def ttfb_s(rows: list[dict], mode: str) -> list[float]:
    """Per load: from the start of connecting to the base page's first byte."""
    return [float(r["first_byte"]) - float(r["connect_start"]) for r in rows
            if r["mode"] == mode and r["path"].endswith(".html")]


def done_s(row: dict) -> float:
    """From the object's request to its last byte."""
    return float(row["last_byte"]) - float(row["request_sent"])


def host_arrival(row: dict, server: str, server_ports: set[int], pcap: Path | None,
                 cache: dict) -> tuple[float, bool] | None:
    """When the object's last byte reached the client host (seconds on the
    page's clock) and whether any byte was lost first; None if unknown."""
    if row["quic_trace"]:
        key = row["quic_trace"]
        if key not in cache:
            cache[key] = quic_streams(Path(key))
        pieces = cache[key].get(int(row["quic_stream"]), [])
        ranges = [(0, max((p.end for p in pieces), default=0))]
    elif row["tcp_ranges"] and pcap is not None:
        if pcap not in cache:
            cache[pcap] = tcp_streams(pcap, server, server_ports)
        pieces = cache[pcap].get(int(row["tcp_port"]), [])
        ranges = parse_ranges(row["tcp_ranges"])
    else:
        return None
    found = reached(pieces, ranges) if pieces else None
    return None if found is None else (found[0] - float(row["epoch"]), found[1])


def client_pcap(run, client: str) -> Path | None:
    return next((Path(p) for p in run.pcaps if Path(p).name.startswith(f"{client}-")), None)


def quantities(spec, run) -> tuple[list[Quantity], dict]:
    _, path = path_of(spec)
    workload = spec.workload_of_role(PageClient.role)
    client = workload.params
    origin = spec.services[client["origin"]]
    modes = client.get("modes", [])
    rows = run.rows()
    result, ttfb = [], {}
    for mode, rtts in HANDSHAKE_RTTS.items():
        if set(HANDSHAKE_RTTS) <= set(modes) and ttfb_s(rows, mode):
            ttfb[mode] = statistics.median(ttfb_s(rows, mode))
            result.append(Quantity(
                f"ttfb_{mode}", ttfb[mode], rtts * path.rtt_s, "s",
                f"median time to the base page's first byte, from connecting: "
                f"{rtts} round trips", rtt_s=path.rtt_s))
    if len(ttfb) == 2:
        result.append(Quantity(
            "handshake_rtts_saved", (ttfb["https"] - ttfb["http3"]) / path.rtt_s,
            HANDSHAKE_RTTS["https"] - HANDSHAKE_RTTS["http3"], "RTT",
            "round trips QUIC saves before the first byte: its handshake is TCP's and TLS's"))
    objects = origin.params.get("page_objects", [])
    hol_modes = [m for m in HOL_MODES if m in modes]
    if len(objects) < 2 or not hol_modes:
        return result, {"ttfb_s": ttfb}
    server = run.addresses[origin.host]
    ports = {int(origin.params.get("port", 80))}
    cache: dict = {}
    stalls, per_load = {}, {}
    for mode in hol_modes:
        mode_loads = loads(rows, mode)
        per_load[mode] = [{"large": done_s(large), "small": [done_s(r) for r in small]}
                          for large, small in mode_loads]
        small = [r for _, objects in mode_loads for r in objects]
        done = [done_s(r) for r in small]
        arrivals = [host_arrival(r, server, ports, client_pcap(run, r["client"]), cache)
                    for r in small]
        known = [(r, a) for r, a in zip(small, arrivals, strict=True) if a is not None]
        undamaged = [float(r["last_byte"]) - a[0] for r, a in known if not a[1]]
        large, rest = objects[0], objects[1:]
        predicted = predicted_small_done_s(mode, path, large, rest) \
            if mode != "http3" else None
        result += [
            Quantity(f"small_done_{mode}", statistics.median(done) if done else None,
                     predicted, "s", f"median over {len(done)} small objects of the time "
                     "from request to last byte", rtt_s=path.rtt_s),
            Quantity(f"large_done_{mode}", statistics.median(
                load["large"] for load in per_load[mode]), None, "s",
                "median time of the large object, from request to last byte")]
        if known:
            stalls[mode] = statistics.fmean(undamaged) if undamaged else None
            result += [
                Quantity(f"undamaged_stall_{mode}", stalls[mode], 0.0, "s",
                         f"mean over the {len(undamaged)} small objects that lost nothing: "
                         "from their last byte reaching the host to the program reading it",
                         rtt_s=path.rtt_s),
                Quantity(f"held_share_{mode}", sum(1 for held in undamaged if held > HELD_S)
                         / len(undamaged) if undamaged else None, 0.0, "",
                         f"share of those held longer than {1000 * HELD_S:g} ms: they "
                         "waited for another stream's lost bytes"),
                Quantity(f"damaged_share_{mode}", 1 - len(undamaged) / len(known), None, "",
                         "share of small objects with a byte lost on the way")]
    if stalls.get("http2") is not None and stalls.get("http3") is not None:
        result.append(Quantity(
            "stall_saved_http3", stalls["http2"] - stalls["http3"], None, "s",
            "HTTP/2's mean stall of undamaged small objects less HTTP/3's: what "
            "QUIC's own streams save", rtt_s=path.rtt_s))
    return result, {"ttfb_s": ttfb, "objects_s": per_load}


def _draw_object_completion(ax, scenario) -> None:
    """Each load's objects, per protocol: small ones as dots, the large one
    as a cross, from request to last byte."""
    for x, per_load in enumerate(scenario.details["objects_s"].values()):
        for i, load in enumerate(per_load):
            at = x + 0.6 * (i + 0.5) / len(per_load) - 0.3
            ax.plot([at] * len(load["small"]), load["small"], ".", color="tab:blue",
                    label="small objects" if x == i == 0 else None)
            ax.plot(at, load["large"], "x", color="tab:red",
                    label="the large object" if x == i == 0 else None)
    modes = list(scenario.details["objects_s"])
    ax.set_xticks(range(len(modes)), modes)
    ax.set_yscale("log")
    ax.set_ylabel("from request to last byte (s)")


PLOTS = (ScenarioPlot("object_completion", "Each object's time from request to last byte, "
                      "per protocol", _draw_object_completion,
                      lambda scenario: bool(scenario.details.get("objects_s")),
                      panel_size=(5.0, 3.5)),)
