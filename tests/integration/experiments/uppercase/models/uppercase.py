"""The uppercase exchange: every reply is the sentence in capitals, and a
datagram's round trip takes the path's RTT, read from the topology."""
from __future__ import annotations

import statistics

from orchestrator.experiment.models.base import Quantity, Requires

CHECKS = ("replies_uppercase", "median_rtt")
REQUIRES = Requires(workload_roles=("udp-uppercase-client",))


def quantities(spec, run) -> tuple[list[Quantity], dict]:
    client = spec.workload_of_role("udp-uppercase-client")
    server_host = spec.services[client.params["server"]].host
    rtt_s = spec.topology.build().rttMs(client.hosts[0], server_host) / 1000
    rows = run.of_role("udp-uppercase-client").rows
    right = sum(1 for r in rows if r["reply"] == r["sent"].upper())
    rtts = [float(r["rtt_s"]) for r in rows if r["rtt_s"]]
    return [
        Quantity("replies_uppercase", right / len(rows) if rows else None, 1.0, "",
                 "share of sentences answered in capitals"),
        Quantity("median_rtt", statistics.median(rtts) if rtts else None, rtt_s, "s",
                 "the path's RTT from the topology's link delays", rtt_s=rtt_s),
    ], {"answered": len(rtts), "sent": len(rows)}
