"""The textbook's access-link example (Kurose & Ross §2.2.5), as a model.

Responses of W bits arrive at λ per second; a fraction h is served by a LAN
cache, the rest cross the access link of rate R. So:

- access-link utilisation ρ = λ(1-h)W/R, counting W as the frame bytes on the
  wire (HTTP headers, TCP/IP/Ethernet per segment), not just the 100 Kbit body;
- LAN utilisation = λW/R_lan;
- a miss costs the Internet RTT for request and response, another RTT when it
  opens a new TCP connection (fraction f, measured at the origin), its
  transmission W/R, and M/D/1 queueing ρ/(2(1-ρ))·W/R; a hit costs W/R_lan;
- mean delay = (1-h)·miss + h·hit;
- with ρ above 1 the backlog of unanswered requests grows by λ - R/W a
  second, so the wait behind it grows by max(0, ρ-1) seconds per second
  (fluid model): scenario (a) reports that growth rather than a mean. Where
  the backlog sits (the router's queue, TCP's windows and back-offs) does not
  matter to it, which is why it is measured from the requests.
"""
from __future__ import annotations

from dataclasses import dataclass

from orchestrator.experiment.metrics import backlog_growth, delay_summary, mean_utilisation
from orchestrator.experiment.models.base import Quantity
from topologies.params import parse_link_params

# Utilisation and queue growth are measured from this long after responses
# start to flow to the end of the request stream.
SETTLE_S = 1.0

CHECKS = ("access_utilisation", "lan_utilisation", "hit_rate", "mean_delay", "delay_growth")

# The slide's numbers for each scenario.
TEXTBOOK = {
    "a": {"access_utilisation": 0.97, "lan_utilisation": 0.0015, "mean_delay": None},
    "b": {"access_utilisation": 0.0097, "lan_utilisation": 0.0015, "mean_delay": 2.0},
    "c": {"access_utilisation": 0.58, "lan_utilisation": 0.0015, "mean_delay": 1.2,
          "hit_rate": 0.4},
}


@dataclass(frozen=True)
class Inputs:
    rate_per_s: float
    access_bw_mbps: float
    lan_bw_mbps: float
    internet_rtt_s: float
    wire_bits: float                 # mean frame bits per response, from the origin's log
    hot_fraction: float              # popularity: share of requests for cached objects
    cached: bool                     # is there a cache on the LAN?
    hit_rate: float                  # measured at the cache (0 without one)
    new_connection_fraction: float   # misses that opened a TCP connection to the origin


@dataclass(frozen=True)
class Measured:
    access_utilisation: float
    lan_utilisation: float
    mean_delay_s: float | None
    delay_growth: float | None
    hit_rate: float | None


def utilisation(rate_per_s: float, wire_bits: float, bw_mbps: float) -> float:
    return rate_per_s * wire_bits / (bw_mbps * 1e6)


def md1_wait_s(rho: float, service_s: float) -> float | None:
    """Mean M/D/1 queueing delay; None when the queue is unstable."""
    if rho >= 1:
        return None
    return rho / (2 * (1 - rho)) * service_s


def miss_delay_s(i: Inputs, rho: float) -> float | None:
    service = i.wire_bits / (i.access_bw_mbps * 1e6)
    wait = md1_wait_s(rho, service)
    if wait is None:
        return None
    return i.internet_rtt_s * (1 + i.new_connection_fraction) + service + wait


def predict(scenario: str, i: Inputs, m: Measured) -> list[Quantity]:
    slide = TEXTBOOK.get(scenario, {})
    h = i.hit_rate if i.cached else 0.0
    rho = utilisation(i.rate_per_s * (1 - h), i.wire_bits, i.access_bw_mbps)
    miss = miss_delay_s(i, rho)
    hit = i.wire_bits / (i.lan_bw_mbps * 1e6)
    mean = None if miss is None else (1 - h) * miss + h * hit
    wire_note = f"W = {i.wire_bits / 1e3:.1f} Kbit on the wire per response"
    quantities = [
        Quantity("access_utilisation", m.access_utilisation, rho, "",
                 f"λ(1-h)W/R with λ = {i.rate_per_s:g}/s, h = {h:.3f}, {wire_note}, "
                 f"R = {i.access_bw_mbps:g} Mb/s; measured from the router's byte counters",
                 slide.get("access_utilisation")),
        Quantity("lan_utilisation", m.lan_utilisation,
                 utilisation(i.rate_per_s, i.wire_bits, i.lan_bw_mbps), "",
                 f"λW/R_lan with R_lan = {i.lan_bw_mbps:g} Mb/s", slide.get("lan_utilisation")),
        Quantity("mean_delay", m.mean_delay_s, mean, "s",
                 f"(1-h)·[RTT·(1+f) + W/R + M/D/1 wait] + h·W/R_lan with RTT = "
                 f"{i.internet_rtt_s:g} s, f = {i.new_connection_fraction:.3f} of requests "
                 "opening a connection to the origin" if mean is not None else
                 f"ρ = {rho:.3f}: no steady state, see delay_growth",
                 slide.get("mean_delay")),
        Quantity("delay_growth", m.delay_growth, max(0.0, rho - 1), "s/s",
                 "growth of the backlog of unanswered requests (sampled each second) "
                 "divided by the R/W responses per second the access link carries: the "
                 f"wait a new request faces; fluid model max(0, ρ-1) with ρ = {rho:.3f}"),
    ]
    if i.cached:
        quantities.append(Quantity(
            "hit_rate", m.hit_rate, i.hot_fraction, "",
            "share of requests for popular objects (cached after a warm-up); measured "
            "from Squid's access log (TCP_HIT/TCP_MEM_HIT against TCP_MISS)",
            slide.get("hit_rate")))
    return quantities


def served_per_s(i: Inputs) -> float:
    """Responses per second the access link can carry."""
    return i.access_bw_mbps * 1e6 / i.wire_bits if i.wire_bits else 0.0


def _delay_ms(link: dict) -> float:
    return parse_link_params("link", link).delay_ms


def from_run(spec, raw: dict) -> tuple[Inputs, Measured, dict]:
    """Model inputs and measurements from one scenario's raw results.
    Returns them with the delay summary, for the report."""
    params = spec.topology.params
    workload = spec.workload.params
    origin = raw["services"][workload["origin"]]
    cache_name = workload.get("proxy")
    cache = raw["services"].get(cache_name) if cache_name else None
    start, end = raw["window"]
    one_way_ms = sum(_delay_ms(params.get(k, {}))
                     for k in ("internet_link", "access_link", "lan_link"))
    delays = delay_summary(raw["requests"], start, end)
    series = raw["utilisation"]
    inputs = Inputs(
        rate_per_s=float(workload.get("rate_per_s", 15.0)),
        access_bw_mbps=float(params["access_link"]["bw"]),
        lan_bw_mbps=spec.monitor["lan"].bw if "lan" in spec.monitor and spec.monitor["lan"].bw
        else float(params["lan_link"]["bw"]),
        internet_rtt_s=2 * one_way_ms / 1000,
        wire_bits=origin["wire_bits_per_response"] or 0.0,
        hot_fraction=float(workload.get("hot_fraction", 0.4)),
        cached=cache is not None,
        hit_rate=cache["hit_rate"] if cache else 0.0,
        new_connection_fraction=origin["new_connection_fraction"],
    )
    # Responses start to flow after a handshake and a request (two RTTs) and
    # the first queue: measure from the first completed request on.
    first_done = min((float(r["start"]) + float(r["delay_s"]) for r in raw["requests"]
                      if not r.get("error")), default=start)
    settled = max(start + 2 * inputs.internet_rtt_s, first_done) + SETTLE_S
    access = series.get("access", [])
    queued = [r for r in access if "queue_delay_s" in r and settled <= r["time"] <= end]
    delays["queue_peak_s"] = max((r["queue_delay_s"] for r in queued), default=None)
    delays["queue_drops"] = queued[-1]["queue_drops"] - queued[0]["queue_drops"] if queued \
        else None
    measured = Measured(
        access_utilisation=mean_utilisation(access, settled, end),
        lan_utilisation=mean_utilisation(series.get("lan", []), settled, end),
        mean_delay_s=delays["mean_s"],
        delay_growth=backlog_growth(raw["requests"], settled, end,
                                    service_rate_per_s=served_per_s(inputs)),
        hit_rate=cache["hit_rate"] if cache else None,
    )
    return inputs, measured, delays


def quantities(spec, raw: dict) -> tuple[list[Quantity], dict]:
    """The model's interface to the runner: quantities, and details for the report."""
    inputs, measured, delays = from_run(spec, raw)
    return predict(spec.scenario, inputs, measured), delays


def report_lines(delays: dict) -> list[str]:
    text = (f"{delays['completed']} of {delays['issued']} requests completed "
            f"({delays['unfinished']} cut off by the drain limit, {delays['failed']} failed); "
            f"delay mean {_seconds(delays['mean_s'])}, p50 {_seconds(delays['p50_s'])}, "
            f"p95 {_seconds(delays['p95_s'])}")
    if delays.get("queue_peak_s") is not None:
        text += (f"; access queue peaked at {_seconds(delays['queue_peak_s'])} "
                 f"with {delays['queue_drops']} drops")
    return [text]


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f} s"
