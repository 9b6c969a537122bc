"""An adaptive DASH player, one process per client host: it reads the MPD,
then asks for one segment at a time, each at the representation its ABR rule
picks from the throughput it measured and its playout buffer; it waits while
the buffer is full, stalls when it runs dry, and logs every segment.

    python -m services.video.player --config player.json --out segments.csv

It streams from ``server`` (a web-origin or cdn-edge service) or from
``name``, a DNS name such as a provider's that is a CNAME into a CDN's
domain, whose DNS picks the edge. A segment that fails (a dead server, a
refused connection) is asked again after ``RETRY_S``; a new connection
resolves the name again, so the CDN's DNS can send it elsewhere. The viewer
stops at the run's end, even mid-video.
"""
from __future__ import annotations

import csv
import json
import socket
import struct
import sys
import time
from pathlib import Path

import httpx

from services.base import (
    HostContext,
    SettingsFileWorkload,
    retrying,
    service_role_problems,
    settings_file_main,
)
from services.video.dash import abr
from services.video.dash.mpd import parse
from services.video.dash.playout import Playout

FIELDS = ["kind", "time", "segment", "representation", "bitrate_bps", "bytes",
          "download_s", "throughput_bps", "buffer_s", "stalled_s", "edge", "rtt_ms", "detail"]
RETRY_S = 0.5
REQUEST_TIMEOUT_S = 5.0
TCP_INFO_BYTES, TCPI_RTT_OFFSET = 104, 68


class DashPlayer(SettingsFileWorkload):
    role = "dash-player"
    columns = tuple(FIELDS)
    program = "services.video.player"
    settings_file = "player.json"
    output = "segments.csv"
    service_refs = ("server",)
    defaults = {"server": None, "name": None, "path": "/video/manifest.mpd", "rule": "rate",
                "safety": 0.8, "startup_s": 2.0, "max_buffer_s": 20.0}

    @staticmethod
    def param_problems(params: dict, spec) -> list[tuple[tuple, str]]:
        if params.get("name") is not None:
            problems = [] if params.get("server") is None else \
                [(("name",), "give server or name, not both")]
            if not isinstance(params["name"], str) or not spec.dns:
                problems.append((("name",), "a DNS name, in a run with a dns section"))
        else:
            problems = service_role_problems(params, spec, "server", ("web-origin", "cdn-edge"),
                                             "the player streams from (or a DNS name)")
        if "rule" in params and params["rule"] not in abr.RULES:
            problems.append((("rule",), f"one of {', '.join(abr.RULES)}"))
        for key in ("safety", "startup_s", "max_buffer_s"):
            if key in params and not (isinstance(params[key], int | float)
                                      and not isinstance(params[key], bool)
                                      and params[key] > 0):
                problems.append(((key,), "a positive number"))
        return problems

    def settings(self, ctx: HostContext) -> dict:
        p = self._params(ctx)
        host = p["name"] or ctx.url_host(p["server"])
        return {"url": f"http://{host}{p['path']}", "rule": p["rule"],
                "safety": p["safety"], "startup_s": p["startup_s"],
                "max_buffer_s": p["max_buffer_s"], "deadline_s": float(p["duration_s"])}


def make_rule(name: str, safety: float, segment_s: float, max_buffer_s: float):
    if name == "rate":
        return abr.RateBased(safety=safety)
    if name == "bba":
        return abr.BufferBased(reservoir_s=max_buffer_s / 4, cushion_s=max_buffer_s / 2)
    # BOLA reaches the top rung at its target: the level a full buffer is
    # topped up from, one segment below the most it holds.
    return abr.Bola(minimum_buffer_s=max_buffer_s / 2, target_buffer_s=max_buffer_s - segment_s)


def tcp_rtt_ms(sock) -> float | None:
    """The kernel's smoothed RTT of a TCP socket (Linux's tcp_info.tcpi_rtt,
    in microseconds at byte 68)."""
    if sock is None:
        return None
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, TCP_INFO_BYTES)
    return struct.unpack_from("<I", info, TCPI_RTT_OFFSET)[0] / 1000


def fetch(client: httpx.Client, url: str, deadline: float) -> tuple[int, str, float | None,
                                                                     float]:
    """GET ``url`` until it answers or the deadline: (bytes, server address,
    the connection's RTT in ms, seconds spent on failures)."""
    def once():
        with client.stream("GET", url) as reply:
            reply.raise_for_status()
            stream = reply.extensions.get("network_stream")
            edge = stream.get_extra_info("server_addr")[0] if stream else ""
            size = sum(len(chunk) for chunk in reply.iter_bytes())
            return size, edge, tcp_rtt_ms(stream.get_extra_info("socket") if stream else None)

    (size, edge, rtt_ms), failed_s = retrying(once, deadline, httpx.HTTPError, RETRY_S)
    return size, edge, rtt_ms, failed_s


def run_player(config: dict, out: Path) -> int:
    start, started_at = time.monotonic(), time.time()
    deadline = start + config["deadline_s"]

    def clock() -> float:
        return time.monotonic() - start

    with httpx.Client(timeout=REQUEST_TIMEOUT_S) as client, \
            open(out, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerow({"kind": "started", "time": f"{time.time():.3f}"})
        manifest, _ = retrying(lambda: client.get(config["url"]).raise_for_status().text,
                               deadline, httpx.HTTPError, RETRY_S)
        video = parse(manifest)
        base = config["url"].rsplit("/", 1)[0]
        rule = make_rule(config["rule"], config["safety"], video.segment_s,
                         config["max_buffer_s"])
        playout = Playout(startup_s=config["startup_s"])
        throughputs: list[float] = []
        last, cut_short = None, False
        for number in range(video.segments):
            # A full buffer waits until a segment's room is free.
            room = playout.level(clock()) - (config["max_buffer_s"] - video.segment_s)
            if room > 0:
                time.sleep(min(room, max(0.0, deadline - time.monotonic())))
            if time.monotonic() >= deadline:
                cut_short = True   # the run ends: a viewer stops watching mid-video
                break
            playout.advance(clock())
            state = abr.PlayerState(video.bitrates_bps, playout.level(clock()),
                                    tuple(throughputs), last)
            choice = rule.choose(state)
            init_failed_s = 0.0
            if choice != last:
                init_failed_s = fetch(client, f"{base}/{video.representations[choice].init}",
                                      deadline)[3]
            began = clock()
            size, edge, rtt_ms, failed_s = fetch(
                client, f"{base}/{video.segment_url(choice, number)}", deadline)
            took = max(clock() - began - failed_s, 1e-6)
            failed_s += init_failed_s
            throughputs.append(8 * size / took)
            length = min(video.segment_s, video.duration_s - number * video.segment_s)
            playout.add(clock(), length)
            writer.writerow({"kind": "segment", "time": f"{time.time():.3f}",
                             "segment": number, "representation": choice,
                             "bitrate_bps": int(video.bitrates_bps[choice]), "bytes": size,
                             "download_s": f"{took:.4f}",
                             "throughput_bps": f"{throughputs[-1]:.0f}",
                             "buffer_s": f"{playout.level(clock()):.3f}",
                             "stalled_s": f"{playout.stalled_s(clock()):.3f}", "edge": edge,
                             "rtt_ms": "" if rtt_ms is None else f"{rtt_ms:.1f}",
                             "detail": f"{failed_s:.3f}" if failed_s else ""})
            handle.flush()
            last = choice
        time.sleep(min(playout.level(clock()), max(0.0, deadline - time.monotonic())))
        playout.advance(clock())
        spans = list(playout.stalls)
        if cut_short and playout.started_at_s is not None and not playout.playing:
            # Cut short while stalled: the stall so far counts too.
            spans.append((clock() - (playout.stalled_s(clock()) - sum(b - a for a, b in spans)),
                          clock()))
        stalls = [b - a for a, b in spans]
        writer.writerow({
            "kind": "finished", "time": f"{time.time():.3f}",
            "stalled_s": f"{sum(stalls):.3f}",
            "detail": json.dumps({"startup_s": playout.started_at_s, "played_s": playout.played_s,
                                  "stalls_s": stalls,
                                  "stalls_at": [[started_at + a, started_at + b]
                                                for a, b in spans]})})
    return 0


if __name__ == "__main__":
    sys.exit(settings_file_main(run_player, __doc__.splitlines()[0]))
