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
  matter to it, which is why it is measured from the requests;
- when the access link is upgraded to R' during the run (a timeline event),
  the Q bits queued at the router drain at R' less what keeps arriving:
  drain time Q/(R' - λ(1-h)W), fluid model again. A request issued at s
  meets the queue one RTT later, when its response reaches the router; the
  drain is measured as s + RTT - t_u (t_u: when the new rate was in force)
  for the first request whose response met the queue after the upgrade and
  saw an unloaded path (delay within RTT + W/R' + a slack), so its
  resolution is the requests' spacing 1/λ.
  Requests that lost packets at the full queue still wait for TCP's
  retransmission timer: they are reported, not drained.
"""
from __future__ import annotations

from dataclasses import dataclass

from orchestrator.experiment.metrics import (
    backlog_growth,
    batch_mean_stderr,
    binomial_stderr,
    delay_summary,
    mean_utilisation,
)
from orchestrator.experiment.models.base import Quantity, Requires
from orchestrator.experiment.plots import DELAY_CDF, DELAY_TIME, UTILISATION
from orchestrator.experiment.result import EventKind
from services.web.web_client import WebClient

# Utilisation and queue growth are measured from this long after responses
# start to flow to the end of the request stream.
SETTLE_S = 1.0

CHECKS = ("access_utilisation", "lan_utilisation", "hit_rate", "mean_delay", "delay_growth",
          "utilisation_before_upgrade", "utilisation_after_drain", "drain_time")
# The per-second utilisation is averaged over stretches this long to estimate
# its standard error: a queue below saturation forgets itself within them.
UTILISATION_BATCH_S = 5

# A request sees an unloaded path when it takes at most RTT + W/R' and this
# much more: a few full-size frames at the upgraded rate.
DRAIN_SLACK_S = 0.05

REQUIRES = Requires(
    monitors={"access": "the access link from the ISP's router toward the institution's "
                        "(down is what the LAN receives)",
              "lan": "the LAN's links to the clients"},
    workload_roles=(WebClient.role,))


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
    # standard errors from the run's own sample: they shrink as it lengthens
    access_utilisation_stderr: float | None = None
    hit_rate_stderr: float | None = None


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


def predict(i: Inputs, m: Measured) -> list[Quantity]:
    h = i.hit_rate if i.cached else 0.0
    rho = utilisation(i.rate_per_s * (1 - h), i.wire_bits, i.access_bw_mbps)
    miss = miss_delay_s(i, rho)
    hit = i.wire_bits / (i.lan_bw_mbps * 1e6)
    mean = None if miss is None else (1 - h) * miss + h * hit
    wire_note = f"W = {i.wire_bits / 1e3:.1f} Kbit on the wire per response"
    quantities = [
        Quantity("access_utilisation", m.access_utilisation, rho, "",
                 f"λ(1-h)W/R with λ = {i.rate_per_s:g}/s, h = {h:.3f}, {wire_note}, "
                 f"R = {i.access_bw_mbps:g} Mb/s; measured from the router's byte counters "
                 f"(σ from {UTILISATION_BATCH_S} s batch means)",
                 stderr=m.access_utilisation_stderr),
        Quantity("lan_utilisation", m.lan_utilisation,
                 utilisation(i.rate_per_s, i.wire_bits, i.lan_bw_mbps), "",
                 f"λW/R_lan with R_lan = {i.lan_bw_mbps:g} Mb/s"),
        Quantity("mean_delay", m.mean_delay_s, mean, "s",
                 f"(1-h)·[RTT·(1+f) + W/R + M/D/1 wait] + h·W/R_lan with RTT = "
                 f"{i.internet_rtt_s:g} s, f = {i.new_connection_fraction:.3f} of requests "
                 "opening a connection to the origin" if mean is not None else
                 f"ρ = {rho:.3f}: no steady state, see delay_growth"),
        Quantity("delay_growth", m.delay_growth, max(0.0, rho - 1), "s/s",
                 "growth of the backlog of unanswered requests (sampled each second) "
                 "divided by the R/W responses per second the access link carries: the "
                 f"wait a new request faces; fluid model max(0, ρ-1) with ρ = {rho:.3f}"),
    ]
    if i.cached:
        quantities.append(Quantity(
            "hit_rate", m.hit_rate, i.hot_fraction, "",
            "share of requests for popular objects (cached after a warm-up); measured "
            "from Squid's access log (TCP_HIT/TCP_MEM_HIT against TCP_MISS; binomial σ)",
            stderr=m.hit_rate_stderr))
    return quantities


def served_per_s(i: Inputs) -> float:
    """Responses per second the access link can carry."""
    return i.access_bw_mbps * 1e6 / i.wire_bits if i.wire_bits else 0.0


def from_run(spec, run) -> tuple[Inputs, Measured, dict]:
    """Model inputs and measurements from one scenario's run.
    Returns them with the delay summary, for the report."""
    browsers = spec.workload_of_role(WebClient.role)
    workload = browsers.params
    origin = run.services[workload["origin"]]
    cache_name = workload.get("proxy")
    cache = run.services.get(cache_name) if cache_name else None
    start, end = run.window
    rows = run.rows()
    delays = delay_summary(rows, start, end)
    rtt_ms = spec.topology.build().rttMs(browsers.hosts[0], spec.services[workload["origin"]].host)
    inputs = Inputs(
        rate_per_s=float(workload.get("rate_per_s", 15.0)),
        access_bw_mbps=run.links["access"].down_mbps,
        lan_bw_mbps=run.links["lan"].down_mbps,
        internet_rtt_s=rtt_ms / 1000,
        wire_bits=origin["wire_bits_per_response"] or 0.0,
        hot_fraction=float(workload.get("hot_fraction", 0.4)),
        cached=cache is not None,
        hit_rate=cache["hit_rate"] if cache else 0.0,
        new_connection_fraction=origin["new_connection_fraction"],
    )
    # Responses start to flow after a handshake and a request (two RTTs) and
    # the first queue: measure from the first completed request on.
    first_done = min((float(r["start"]) + float(r["delay_s"]) for r in rows
                      if not r.get("error")), default=start)
    settled = max(start + 2 * inputs.internet_rtt_s, first_done) + SETTLE_S
    access = run.utilisation("access")
    delays["settled"] = settled
    queued = [r for r in access if "queue_delay_s" in r and settled <= r["time"] <= end]
    delays["queue_peak_s"] = max((r["queue_delay_s"] for r in queued), default=None)
    delays["queue_drops"] = queued[-1]["queue_drops"] - queued[0]["queue_drops"] if queued \
        else None
    inside = [r["down"] for r in access if settled < r["time"] <= end + 0.5]
    measured = Measured(
        access_utilisation=mean_utilisation(access, settled, end),
        access_utilisation_stderr=batch_mean_stderr(inside, UTILISATION_BATCH_S),
        hit_rate_stderr=binomial_stderr(cache["hit_rate"], cache["requests"]) if cache
        else None,
        lan_utilisation=mean_utilisation(run.utilisation("lan"), settled, end),
        mean_delay_s=delays["mean_s"],
        delay_growth=backlog_growth(rows, settled, end,
                                    service_rate_per_s=served_per_s(inputs)),
        hit_rate=cache["hit_rate"] if cache else None,
    )
    return inputs, measured, delays


def upgrade_of(spec, run):
    """The timeline's change of the access link's rate, if it had one."""
    a, b = spec.monitor["access"].node, spec.monitor["access"].peers[0]
    return next((e for e in run.events if e.kind == EventKind.LINK_SET
                 and e.happened_s is not None
                 and e.target in (f"{a}-{b}", f"{b}-{a}")), None)


def drain(i: Inputs, rows: list[dict], upgraded_at: float, queued_bits: float,
          new_bw_mbps: float) -> dict:
    """The fluid model's drain time of the router's queue, and the measured one:
    until the response of the first request to see an unloaded path met the queue."""
    after = Inputs(**{**i.__dict__, "access_bw_mbps": new_bw_mbps})
    h = i.hit_rate if i.cached else 0.0
    arriving_bps = after.rate_per_s * (1 - h) * after.wire_bits
    predicted = queued_bits / (new_bw_mbps * 1e6 - arriving_bps)
    unloaded = after.internet_rtt_s + after.wire_bits / (new_bw_mbps * 1e6) + DRAIN_SLACK_S
    rtt = after.internet_rtt_s
    met_queue_later = sorted((float(r["start"]) + rtt, float(r["delay_s"])) for r in rows
                             if not r.get("error") and float(r["start"]) + rtt >= upgraded_at)
    drained_at = next((met for met, delay in met_queue_later if delay <= unloaded), None)
    waiting = [r for r in rows if float(r["start"]) < upgraded_at and (
        r.get("error") or float(r["start"]) + float(r["delay_s"]) > upgraded_at)]
    last_done = max((float(r["start"]) + float(r["delay_s"]) for r in waiting
                     if not r.get("error")), default=upgraded_at)
    return {"queued_bits": queued_bits, "predicted_s": predicted,
            "measured_s": None if drained_at is None else drained_at - upgraded_at,
            "unloaded_delay_s": unloaded, "waiting_at_upgrade": len(waiting),
            "last_of_them_done_s": last_done - upgraded_at,
            "rho_after": utilisation(after.rate_per_s * (1 - h), after.wire_bits,
                                     new_bw_mbps)}


def upgrade_quantities(i: Inputs, run, upgrade, settled: float) -> tuple[list[Quantity], dict]:
    start, end = run.window
    # Timed from when the faster rate was in force, not from the event's start.
    upgraded_at_s = upgrade.happened_s + upgrade.detail.get("applied_after_s", 0.0)
    upgraded_at = start + upgraded_at_s
    access = run.utilisation("access")
    new_bw = access[-1]["down_mbps"]
    before = [r for r in access if r["time"] <= upgraded_at]
    old_bw = before[0]["down_mbps"] if before else i.access_bw_mbps
    # The queue toward the LAN as the upgrade found it (the timeline reads it
    # just before changing the link).
    queued_bits = 8 * upgrade.detail["queued_bytes"][run.links["access"].node]
    found = drain(i, run.rows(), upgraded_at, queued_bits, new_bw)
    drained_at = upgraded_at + (found["measured_s"] if found["measured_s"] is not None
                                else end - upgraded_at)
    rho_before = utilisation(i.rate_per_s, i.wire_bits, old_bw)
    return [
        Quantity("utilisation_before_upgrade", mean_utilisation(access, settled, upgraded_at),
                 min(1.0, rho_before), "",
                 f"min(1, λW/R) with R = {old_bw:g} Mb/s: ρ = {rho_before:.3f}"),
        Quantity("utilisation_after_drain", mean_utilisation(access, drained_at + 1, end),
                 found["rho_after"], "",
                 f"λW/R' with R' = {new_bw:g} Mb/s, from a second after the drain's end"),
        Quantity("drain_time", found["measured_s"], found["predicted_s"], "s",
                 f"fluid model Q/(R' - λW): Q = {queued_bits / 1e6:.2f} Mbit queued at the "
                 f"router, R' = {new_bw:g} Mb/s; measured to when the response of the first "
                 "request to take at most "
                 f"{found['unloaded_delay_s']:.3f} s (RTT + W/R' + {DRAIN_SLACK_S:g} s) met "
                 "the queue (its start + RTT)"),
    ], {**found, "upgraded_at_s": upgraded_at_s}


def quantities(spec, run) -> tuple[list[Quantity], dict]:
    """The model's interface to the runner: quantities, and details for the report."""
    inputs, measured, delays = from_run(spec, run)
    upgrade = upgrade_of(spec, run)
    if upgrade is None:
        return predict(inputs, measured), delays
    found, details = upgrade_quantities(inputs, run, upgrade, delays["settled"])
    return found, {**delays, "upgrade": details}


def report_lines(delays: dict) -> list[str]:
    text = (f"{delays['completed']} of {delays['issued']} requests completed "
            f"({delays['unfinished']} cut off by the drain limit, {delays['failed']} failed); "
            f"delay mean {_seconds(delays['mean_s'])}, p50 {_seconds(delays['p50_s'])}, "
            f"p95 {_seconds(delays['p95_s'])}")
    if delays.get("queue_peak_s") is not None:
        text += (f"; access queue peaked at {_seconds(delays['queue_peak_s'])} "
                 f"with {delays['queue_drops']} drops")
    lines = [text]
    if "upgrade" in delays:
        up = delays["upgrade"]
        lines.append(f"access link upgraded at {up['upgraded_at_s']:.2f} s with "
                     f"{up['queued_bits'] / 8e3:.0f} kB queued: drained in "
                     f"{_seconds(up['measured_s'])} (fluid model {_seconds(up['predicted_s'])}); "
                     f"{up['waiting_at_upgrade']} earlier requests were still waiting, the "
                     f"last done {_seconds(up['last_of_them_done_s'])} later (those that "
                     "lost packets wait for TCP's retransmission timer)")
    return lines


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f} s"


PLOTS = (UTILISATION.referring_to("access_utilisation", "utilisation_before_upgrade",
                                  "utilisation_after_drain"),
         DELAY_TIME.referring_to("mean_delay"),
         DELAY_CDF.referring_to("mean_delay", axis="x"))
