"""Page-load time per HTTP mode (Kurose & Ross, "HTTP with non-persistent and
persistent connections"), as a model of what the testbed's link does.

The slide's formulas — non-persistent: 2RTT + L/R per object; persistent
pipelined: about one RTT for all referenced objects — leave out TCP's slow
start and the shaper's token bucket. With objects larger than TCP's initial
window, or links whose bucket lets the first bytes through at once, the
formulas miss by RTTs. So the model is a small simulation of the path:

- one bottleneck, FIFO, shaped by a token bucket of rate R and depth b
  (HTB's rate and its ceil burst, one MTU), shared by every connection of
  the page;
- a propagation delay of RTT/2 each way;
- TCP with an initial window of 10 segments, slow start, no loss, no delayed
  ACKs, and (as TCP small queues do) one segment at a time per connection in
  the bottleneck's queue, so that concurrent connections interleave;
- a handshake costs one RTT before the request goes out;
- HTTP/2 from nginx: it turns Nagle's algorithm off only once a connection
  first goes idle, so the first response's last partial segment waits one RTT
  for an ACK (seen in captures of the testbed).

The slide's own number is kept beside each prediction.
"""
from __future__ import annotations

import heapq
import itertools
import math
import statistics
from dataclasses import dataclass, field

from orchestrator.experiment.models.base import Quantity, Requires
from orchestrator.experiment.plots import ScenarioPlot
from services.web.http_wire import MSS_BYTES, SEGMENT_OVERHEAD_BYTES
from services.web.page_client import PageClient
from topologies.params import HTB_CEIL_BURST_BYTES, LinkParams, parse_link_params

INITIAL_WINDOW_SEGMENTS = 10
MODES = ("nonpersistent", "parallel", "persistent", "pipelined", "http2")


@dataclass(frozen=True)
class Path:
    rtt_s: float
    rate_bps: float
    burst_bytes: float
    header_bytes: int = 250   # HTTP response headers


def path_of(spec) -> tuple[LinkParams, Path]:
    """The path of a two-host experiment: its one link, as the model sees it."""
    link = parse_link_params("link", spec.topology.params.get("link", {}))
    return link, Path(rtt_s=2 * link.delay_ms / 1000, rate_bps=link.bw_mbps * 1e6,
                      burst_bytes=HTB_CEIL_BURST_BYTES)


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
    in_flight: int = 0
    most_in_flight: int = 0  # of the current response


def segments(payload: int) -> list[int]:
    """Frame sizes of a TCP payload in full-sized segments."""
    count = max(1, math.ceil(payload / MSS_BYTES))
    sizes = [MSS_BYTES] * (count - 1) + [payload - MSS_BYTES * (count - 1)]
    return [s + SEGMENT_OVERHEAD_BYTES for s in sizes]


def respond(sim: Simulation, conn: Connection, request_at: float, body: int, done) -> None:
    """The server gets the request RTT/2 after ``request_at`` and sends the
    response; ``done(t)`` is called when its last byte reaches the client.
    As in Linux, slow start grows the window only while the sender fills at
    least half of it: a small response leaves it as it was."""
    half = sim.path.rtt_s / 2
    frames = segments(body + sim.path.header_bytes)
    state = {"next": 0, "arrived": 0}
    conn.most_in_flight = 0

    def send(time: float) -> None:
        # One segment at a time in the bottleneck's queue per connection (as
        # TCP small queues keep it): concurrent connections interleave.
        if conn.in_flight < conn.cwnd and state["next"] < len(frames):
            leave = sim.link.send(time, frames[state["next"]])
            state["next"] += 1
            conn.in_flight += 1
            conn.most_in_flight = max(conn.most_in_flight, conn.in_flight)
            sim.at(leave + half, arrive)
            sim.at(leave, send)

    def acknowledged(time: float) -> None:
        conn.in_flight -= 1
        if conn.cwnd < 2 * conn.most_in_flight:
            conn.cwnd += 1
        send(time)

    def arrive(time: float) -> None:
        state["arrived"] += 1
        if state["arrived"] == len(frames):
            done(time)
        sim.at(time + half, acknowledged)

    sim.at(request_at + half, send)


def page_load(mode: str, path: Path, base_bytes: int, objects: list[int],
              parallel: int = 5) -> float:
    """Seconds from the first SYN to the last byte of the last object."""
    sim = Simulation(path)
    rtt = path.rtt_s
    finished: list[float] = []

    def fetch_alone(start: float, body: int, then) -> None:
        respond(sim, Connection(), start + rtt, body, then)

    if mode in ("nonpersistent", "parallel"):
        # Non-persistent is the parallel case with a single connection at a time.
        parallel = 1 if mode == "nonpersistent" else parallel
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
        nagle_hold = rtt if mode == "http2" else 0.0

        def all_objects(time: float) -> None:
            time += nagle_hold
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


CHECKS = tuple(f"plt_{mode}" for mode in MODES)

REQUIRES = Requires(workload_roles=(PageClient.role,))


def measured_page_loads(rows: list[dict]) -> dict[str, list[float]]:
    """Page-load times per mode, one per run, from the page client's rows."""
    loads: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        loads.setdefault((row["mode"], row["run"]), []).append(row)
    per_mode: dict[str, list[float]] = {}
    for (mode, _), objects in sorted(loads.items()):
        start = min(float(r["connect_start"]) for r in objects)
        end = max(float(r["last_byte"]) for r in objects)
        per_mode.setdefault(mode, []).append(end - start)
    return per_mode


def quantities(spec, run) -> tuple[list[Quantity], dict]:
    """Quantities for each mode the client ran: measured median page-load time
    beside the simulated model and the slide's formula."""
    link, path = path_of(spec)
    client = spec.workload_of_role(PageClient.role).params
    origin = spec.services[client["origin"]].params
    base, objects = origin.get("page_base_bytes", 2000), origin["page_objects"]
    parallel = client.get("parallel", 5)
    loads = measured_page_loads(run.rows())
    quantities = []
    for mode, times in loads.items():
        quantities.append(Quantity(
            f"plt_{mode}", statistics.median(times),
            page_load(mode, path, base, objects, parallel), "s",
            f"median of {len(times)} loads; model: RTT {path.rtt_s * 1000:g} ms, "
            f"R {link.bw_mbps:g} Mb/s (HTB, {path.burst_bytes} B ceil burst), slow start "
            f"from 10 segments; base page {base} B, {len(objects)} objects",
            slide_formula(mode, path.rtt_s, path.rate_bps, base, objects, parallel),
            rtt_s=path.rtt_s))
    return quantities, {"page_loads_s": loads}


def _draw_page_loads(ax, scenario) -> None:
    """Each mode's page-load time: measured, the model's, and the slide's."""
    slide = {c.name: c.textbook for c in scenario.checks}
    modes = [q.name.removeprefix("plt_") for q in scenario.quantities]
    xs = range(len(modes))
    ax.plot(xs, [q.measured for q in scenario.quantities], "o", label="measured")
    ax.plot(xs, [q.predicted for q in scenario.quantities], "x", color="black",
            label="model")
    shown = [(x, slide[q.name]) for x, q in zip(xs, scenario.quantities, strict=True)
             if slide.get(q.name) is not None]
    if shown:
        ax.plot(*zip(*shown, strict=True), "_", color="tab:red", markersize=14,
                label="slide")
    ax.set_xticks(list(xs), modes, fontsize="small")
    ax.set_ylabel("page-load time (s)")
    ax.set_yscale("log")


PLOTS = (ScenarioPlot("page_load", "Page-load time per HTTP mode: measured, model and slide",
                      _draw_page_loads),)
