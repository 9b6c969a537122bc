"""Page-load time per HTTP mode (Kurose & Ross, "HTTP with non-persistent and
persistent connections"), as a model of what the testbed's link does.

The slide's formulas — non-persistent: 2RTT + L/R per object; persistent
pipelined: about one RTT for all referenced objects — leave out TCP's slow
start and the shaper's token bucket. With objects larger than TCP's initial
window, or links whose bucket lets the first bytes through at once, the
formulas miss by RTTs. So the model is a small simulation of the path:

- one bottleneck, FIFO, shaped by a token bucket of rate R and depth b
  (HTB's rate and burst), shared by every connection of the page;
- a propagation delay of RTT/2 each way;
- TCP with an initial window of 10 segments, slow start (each ACK releases two
  segments), no loss, no delayed ACKs;
- a handshake costs one RTT before the request goes out.

The slide's own number is kept beside each prediction.
"""
from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass, field

MSS_BYTES = 1448
SEGMENT_OVERHEAD_BYTES = 66   # Ethernet + IPv4 + TCP with timestamps
INITIAL_WINDOW_SEGMENTS = 10
MODES = ("nonpersistent", "parallel", "persistent", "pipelined", "http2")


@dataclass(frozen=True)
class Path:
    rtt_s: float
    rate_bps: float
    burst_bytes: float
    header_bytes: int = 250   # HTTP response headers


@dataclass
class Bottleneck:
    """FIFO with a token bucket: a frame leaves once the bucket holds its size."""

    rate_bytes_s: float
    depth: float
    tokens: float = field(init=False)
    last: float = 0.0
    free_at: float = 0.0

    def __post_init__(self):
        self.tokens = self.depth

    def send(self, at: float, size: int) -> float:
        start = max(at, self.free_at)
        self.tokens = min(self.depth, self.tokens + (start - self.last) * self.rate_bytes_s)
        self.last = start
        if self.tokens >= size:
            self.tokens -= size
            leave = start
        else:
            leave = start + (size - self.tokens) / self.rate_bytes_s
            self.tokens = 0.0
            self.last = leave
        self.free_at = leave
        return leave


class Simulation:
    """Events in time order; a response's segments released by ACK clocking."""

    def __init__(self, path: Path):
        self.path = path
        self.link = Bottleneck(path.rate_bps / 8, path.burst_bytes)
        self.events: list = []
        self.order = itertools.count()

    def at(self, time: float, action) -> None:
        heapq.heappush(self.events, (time, next(self.order), action))

    def run(self) -> None:
        while self.events:
            time, _, action = heapq.heappop(self.events)
            action(time)


@dataclass
class Connection:
    cwnd: int = INITIAL_WINDOW_SEGMENTS


def segments(payload: int) -> list[int]:
    """Frame sizes of a TCP payload in full-sized segments."""
    count = max(1, math.ceil(payload / MSS_BYTES))
    sizes = [MSS_BYTES] * (count - 1) + [payload - MSS_BYTES * (count - 1)]
    return [s + SEGMENT_OVERHEAD_BYTES for s in sizes]


def respond(sim: Simulation, conn: Connection, request_at: float, body: int, done) -> None:
    """The server gets the request RTT/2 after ``request_at`` and sends the
    response; ``done(t)`` is called when its last byte reaches the client."""
    half = sim.path.rtt_s / 2
    frames = segments(body + sim.path.header_bytes)
    state = {"next": 0, "arrived": 0}

    def release(time: float, allowance: int) -> None:
        for _ in range(allowance):
            if state["next"] >= len(frames):
                return
            leave = sim.link.send(time, frames[state["next"]])
            state["next"] += 1
            sim.at(leave + half, arrive)

    def arrive(time: float) -> None:
        state["arrived"] += 1
        conn.cwnd += 1
        if state["arrived"] == len(frames):
            done(time)
        else:
            sim.at(time + half, lambda t: release(t, 2))

    sim.at(request_at + half, lambda t: release(t, conn.cwnd))


def page_load(mode: str, path: Path, base_bytes: int, objects: list[int],
              parallel: int = 5) -> float:
    """Seconds from the first SYN to the last byte of the last object."""
    sim = Simulation(path)
    rtt = path.rtt_s
    finished: list[float] = []

    def fetch_alone(start: float, body: int, then) -> None:
        respond(sim, Connection(), start + rtt, body, then)

    if mode == "nonpersistent":
        queue = list(objects)

        def next_object(time: float) -> None:
            finished.append(time)
            if queue:
                fetch_alone(time, queue.pop(0), next_object)
        fetch_alone(0.0, base_bytes, next_object)
    elif mode == "parallel":
        queue = list(objects)

        def worker(time: float) -> None:
            finished.append(time)
            if queue:
                fetch_alone(time, queue.pop(0), worker)

        def after_base(time: float) -> None:
            finished.append(time)
            for _ in range(min(parallel, len(queue))):
                fetch_alone(time, queue.pop(0), worker)
        fetch_alone(0.0, base_bytes, after_base)
    elif mode == "persistent":
        conn, queue = Connection(), list(objects)

        def next_request(time: float) -> None:
            finished.append(time)
            if queue:
                respond(sim, conn, time, queue.pop(0), next_request)
        respond(sim, conn, rtt, base_bytes, next_request)
    elif mode in ("pipelined", "http2"):
        # All objects requested at once on one connection; responses share it
        # back to back (HTTP/1.1 in order, HTTP/2 interleaved: the same bytes).
        conn = Connection()

        def all_objects(time: float) -> None:
            finished.append(time)
            respond(sim, conn, time, sum(objects) + path.header_bytes * (len(objects) - 1),
                    finished.append)
        respond(sim, conn, rtt, base_bytes, all_objects)
    else:
        raise ValueError(f"unknown mode {mode!r}")
    sim.run()
    return max(finished)


def slide_formula(mode: str, rtt_s: float, rate_bps: float, base_bytes: int,
                  objects: list[int], parallel: int = 5) -> float:
    """The textbook's back-of-envelope numbers, for the report."""
    def transmit(size):
        return size * 8 / rate_bps
    base = 2 * rtt_s + transmit(base_bytes)
    if mode == "nonpersistent":
        return base + sum(2 * rtt_s + transmit(size) for size in objects)
    if mode == "parallel":
        rounds = math.ceil(len(objects) / parallel)
        return base + rounds * 2 * rtt_s + transmit(sum(objects))
    if mode == "persistent":
        return base + sum(rtt_s + transmit(size) for size in objects)
    return base + rtt_s + transmit(sum(objects))
