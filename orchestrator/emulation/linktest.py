"""Link calibration (``applab linktest``): measured against configured.

Builds h1 -- s1 -- h2 with the link on h1--s1 and measures ping RTT, iperf3 TCP
goodput and, when loss is set, loss over many probes.
"""
from __future__ import annotations

import json
import math
import re
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.emulation.commands import execute, run_in, start_in
from orchestrator.emulation.network import Network
from orchestrator.emulation.waiting import stop_process, wait_until
from orchestrator.errors import AppLabError, CommandError, CommandTimeout
from topologies.builders import two_hosts
from topologies.params import parse_link

RTT_SAMPLES = 50
RTT_INTERVAL_S = 0.02
LOSS_PROBES = 2000
LOSS_INTERVAL_S = 0.005
GOODPUT_SECONDS = 5
# Leave TCP's slow start out of the goodput average.
GOODPUT_OMIT_SECONDS = 1
IPERF_PORT = 5201
SERVER_READY_TIMEOUT_S = 5.0
IPERF_STOP_TIMEOUT_S = 5.0
# iperf3's own connect and report, beyond its test's length: a client whose
# network broke under it is stopped then, not left waiting.
IPERF_DEADLINE_MARGIN_S = 15

_RTT = re.compile(r"time=([0-9.]+) ms")
_RECEIVED = re.compile(r"(\d+) packets transmitted, (\d+) received")


def ping_rtts(src, dst_ip: str, count: int, interval: float) -> list[float]:
    out = run_in(src, ["ping", "-n", "-c", str(count), "-i", str(interval), "-W", "5", dst_ip],
                 check=False)
    return [float(x) for x in _RTT.findall(out)]


def round_trip_loss(src, dst_ip: str, probes: int, interval: float) -> float:
    """Fraction of echo requests whose reply never came."""
    out = run_in(src, ["ping", "-n", "-q", "-c", str(probes), "-i", str(interval), "-W", "2",
                       dst_ip], check=False)
    match = _RECEIVED.search(out)
    if not match:
        raise AppLabError(f"could not read ping's summary: {out.strip()!r}")
    sent, received = int(match.group(1)), int(match.group(2))
    return 1.0 - received / sent


def one_way_loss(round_trip: float) -> float:
    """Per-direction loss p from round-trip loss 1-(1-p)^2: the link drops in
    each direction, as netem on both ends does."""
    return 1.0 - math.sqrt(max(0.0, 1.0 - round_trip))


def wait_listening(host, port: int) -> None:
    wait_until(lambda: f":{port}" in run_in(host, ["ss", "-Hltn", f"sport = :{port}"]),
               SERVER_READY_TIMEOUT_S, f"iperf3 server on {host.name} listening")


def tcp_goodput_mbps(client, server, server_ip: str, seconds: int) -> float:
    """iperf3 TCP goodput client -> server, as the receiver counted it."""
    proc = start_in(server, ["iperf3", "-s", "-1", "-p", str(IPERF_PORT)])
    try:
        wait_listening(server, IPERF_PORT)
        deadline = seconds + GOODPUT_OMIT_SECONDS + IPERF_DEADLINE_MARGIN_S
        try:
            code, out, err = execute(client, [
                "iperf3", "-c", server_ip, "-p", str(IPERF_PORT), "-t",
                str(seconds + GOODPUT_OMIT_SECONDS), "-O", str(GOODPUT_OMIT_SECONDS), "-J"],
                timeout_s=deadline)
        except CommandTimeout as exc:
            raise AppLabError(f"iperf3 from {client.name} to {server_ip} had not ended "
                              f"after {deadline} s: the link between them broke?") from exc
        if code != 0:
            raise CommandError(client.name, "iperf3 -c", code, err or out)
        report = json.loads(out)
        return report["end"]["sum_received"]["bits_per_second"] / 1e6
    finally:
        stop_process(proc, IPERF_STOP_TIMEOUT_S)


@dataclass
class LinkTestResult:
    realizer: str
    link: dict
    rtt_ms: dict
    goodput_mbps: dict              # h1 -> h2: the link's up direction
    loss_pct: dict
    goodput_down_mbps: dict | None = None  # h2 -> h1, measured where the link is asymmetric
    relay_counters: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return dict(vars(self))

    def table(self) -> str:
        rows = [("realizer", self.realizer, ""),
                ("RTT median (ms)", f"{self.rtt_ms['median']:.3f}",
                 f"{self.rtt_ms['configured']:.3f}"),
                ("RTT stdev (ms)", f"{self.rtt_ms['stdev']:.3f}", "")]
        goodputs = [("TCP goodput (Mb/s)", self.goodput_mbps)] if not self.goodput_down_mbps \
            else [("TCP goodput up (Mb/s)", self.goodput_mbps),
                  ("TCP goodput down (Mb/s)", self.goodput_down_mbps)]
        for label, goodput in goodputs:
            if goodput.get("measured") is not None:
                configured = goodput["configured"]
                rows.append((label, f"{goodput['measured']:.3f}",
                             f"{configured:.3f}" if configured else "unshaped"))
        if self.loss_pct["measured"] is not None:
            rows.append(("loss per direction (%)", f"{self.loss_pct['measured']:.3f}",
                         f"{self.loss_pct['configured']:.3f}"))
        width = max(len(r[0]) for r in rows)
        lines = [f"{'':{width}}  {'measured':>12}  {'configured':>12}"]
        lines += [f"{name:{width}}  {measured:>12}  {configured:>12}"
                  for name, measured, configured in rows]
        return "\n".join(lines)


def run_linktest(link: dict, run_dir: Path, realizer: str | None = None,
                 switch: str = "lxbr", goodput: bool = True,
                 links: Mapping[str, type] | None = None) -> LinkTestResult:
    """h1 -- s1 -- h2 with ``link`` on h1--s1: its up direction is h1 -> s1.
    Goodput is measured each way where the link differs by direction.
    ``links``: realizers beside the built-in ones, as Network takes them."""
    directions = parse_link("h1-s1", link)
    params, down = directions.up, directions.down
    topo = two_hosts(link)
    with Network(topo, run_dir, realizer=realizer, switch=switch, links=links) as net:
        h1, h2 = net["h1"], net["h2"]
        h2_ip = h2.IP()
        rtts = measured_rtts(h1, h2_ip)
        rtt = {"configured": directions.rtt_ms, "median": statistics.median(rtts),
               "stdev": statistics.stdev(rtts) if len(rtts) > 1 else 0.0,
               "samples": len(rtts)}
        rate = {"configured": params.bw_mbps,
                "measured": tcp_goodput_mbps(h1, h2, h2_ip, GOODPUT_SECONDS) if goodput
                else None}
        rate_down = None
        if goodput and not directions.symmetric:
            rate_down = {"configured": down.bw_mbps,
                         "measured": tcp_goodput_mbps(h2, h1, h1.IP(), GOODPUT_SECONDS)}
        loss = {"configured": params.loss_pct, "measured": None, "probes": 0}
        if params.loss_pct != down.loss_pct:
            raise AppLabError("linktest measures loss from round trips: give both directions "
                              "the same loss")
        if params.loss_pct:
            measured = one_way_loss(round_trip_loss(h1, h2_ip, LOSS_PROBES, LOSS_INTERVAL_S))
            loss.update(measured=100 * measured, probes=LOSS_PROBES)
        realizer_used = net.realizer
    return LinkTestResult(realizer=realizer_used, link=directions.spec(), rtt_ms=rtt,
                          goodput_mbps=rate, loss_pct=loss, goodput_down_mbps=rate_down,
                          relay_counters=net.link_stats)


def tunnel_delay(machine, run_dir: Path, realizer: str | None = None,
                 links: Mapping[str, type] | None = None) -> dict:
    """What a link to ``machine`` adds to a round trip by being a tunnel:
    h1 -- s1 -- h2 with no shaping, h2 on ``machine`` (s1--h2 a VXLAN
    tunnel), against the same three nodes all here."""
    medians, kinds = {}, {}
    for where, placement in (("here", {}), ("through", {"h2": machine.name})):
        with Network(two_hosts({}), run_dir / where, realizer=realizer, links=links,
                     machines={machine.name: machine}, placement=placement) as net:
            h1, h2 = net["h1"], net["h2"]
            medians[where] = statistics.median(measured_rtts(h1, h2.IP()))
            # What h2's end of s1--h2 is, where it runs: a VXLAN device through the tunnel.
            link = json.loads(run_in(h2, ["ip", "-d", "-j", "link", "show", "h2-eth0"]))[0]
            kinds[where] = link.get("linkinfo", {}).get("info_kind", "")
    return {"machine": machine.name, "address": machine.address,
            "rtt_ms_here": medians["here"], "rtt_ms_through": medians["through"],
            "added_ms": medians["through"] - medians["here"], "samples": RTT_SAMPLES,
            "interface_through": kinds["through"]}


def measured_rtts(src, dst_ip: str) -> list[float]:
    """RTT_SAMPLES pings, once ARP and caches are warm; most must answer."""
    ping_rtts(src, dst_ip, 3, 0.1)
    rtts = ping_rtts(src, dst_ip, RTT_SAMPLES, RTT_INTERVAL_S)
    if len(rtts) < RTT_SAMPLES // 2:
        raise AppLabError(f"{src.name} to {dst_ip}: only {len(rtts)} of {RTT_SAMPLES} "
                          "pings answered")
    return rtts
