"""When an object's bytes reached the client host, and whether any was lost
on the way, against when the program could read them: the stall that
head-of-line blocking adds.

A byte stream arrives as chunks (TCP segments seen by a capture of the
client's interface, or QUIC STREAM frames in the client's qlog). A chunk
that fills a hole below bytes already come carries bytes whose first copy
was lost (the emulated links drop, they never reorder)."""
from __future__ import annotations

import json
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import dpkt


@dataclass(frozen=True)
class Piece:
    """Bytes [start, end) of a stream, first arrived at ``time`` (epoch s);
    ``late``: they filled a hole, their first copy was lost."""

    start: int
    end: int
    time: float
    late: bool


def _uncovered(covered: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    gaps, at = [], start
    for a, b in covered:
        if b <= at:
            continue
        if a >= end:
            break
        if a > at:
            gaps.append((at, a))
        at = max(at, b)
    if at < end:
        gaps.append((at, end))
    return gaps


def _cover(covered: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    merged = []
    for a, b in sorted([*covered, (start, end)]):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def first_arrivals(chunks: Iterable[tuple[float, int, int]]) -> list[Piece]:
    """Each byte's first arrival, from ``(time, start, end)`` chunks in the
    order they arrived."""
    covered: list[tuple[int, int]] = []
    highest, pieces = 0, []
    for time, start, end in chunks:
        for a, b in _uncovered(covered, start, end):
            pieces.append(Piece(a, b, time, late=a < highest))
        covered = _cover(covered, start, end)
        highest = max(highest, end)
    return pieces


def reached(pieces: list[Piece], ranges: list[tuple[int, int]]) -> tuple[float, bool] | None:
    """When the last byte of ``ranges`` reached the host, and whether any of
    them was lost first; None if some never came."""
    inside = [p for p in pieces for a, b in ranges if p.start < b and a < p.end]
    if sum(min(p.end, b) - max(p.start, a) for p in pieces for a, b in ranges
           if p.start < b and a < p.end) < sum(b - a for a, b in ranges):
        return None
    return max(p.time for p in inside), any(p.late for p in inside)


def parse_ranges(text: str) -> list[tuple[int, int]]:
    """"a-b c-d" as a page client writes an object's ranges."""
    return [(int(a), int(b)) for a, b in (part.split("-") for part in text.split())]


def tcp_streams(pcap: Path, server: str, server_ports: set[int]) -> dict[int, list[Piece]]:
    """Per client port, the first arrivals of what ``server`` sent from one
    of ``server_ports``, offsets from the connection's first byte. Payload
    lengths come from the IP header: captures keep only headers. A client
    port names one connection: a run's few dozen do not wrap Linux's
    ephemeral range back to a port in use before."""
    chunks: dict[int, list[tuple[float, int, int]]] = {}
    initial: dict[int, int] = {}
    source = socket.inet_aton(server)
    with open(pcap, "rb") as handle:
        for when, frame in dpkt.pcap.Reader(handle):
            ip = dpkt.ethernet.Ethernet(frame).data
            if not isinstance(ip, dpkt.ip.IP) or ip.src != source or ip.p != dpkt.ip.IP_PROTO_TCP:
                continue
            tcp = ip.data
            if tcp.sport not in server_ports:
                continue
            if tcp.flags & dpkt.tcp.TH_SYN:
                initial[tcp.dport] = tcp.seq + 1
                continue
            length = ip.len - 4 * ip.hl - 4 * tcp.off
            if length <= 0 or tcp.dport not in initial:
                continue
            start = (tcp.seq - initial[tcp.dport]) % 2 ** 32
            chunks.setdefault(tcp.dport, []).append((when, start, start + length))
    return {port: first_arrivals(c) for port, c in chunks.items()}


def quic_streams(qlog: Path) -> dict[int, list[Piece]]:
    """Per stream, the first arrivals of its STREAM frames in a client's qlog."""
    chunks: dict[int, list[tuple[float, int, int]]] = {}
    for trace in json.loads(qlog.read_text())["traces"]:
        for event in trace["events"]:
            if event["name"] != "transport:packet_received":
                continue
            for frame in event["data"].get("frames", []):
                if frame["frame_type"] == "stream":
                    chunks.setdefault(frame["stream_id"], []).append(
                        (event["time"] / 1000, frame["offset"],
                         frame["offset"] + frame["length"]))
    return {stream: first_arrivals(c) for stream, c in chunks.items()}
