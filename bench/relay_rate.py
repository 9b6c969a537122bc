"""The relay's maximum packet rate on one core.

The relay is pinned to one core and the UDP flood (64-byte payloads, no rate
cap) to the other, so the rate measured is the relay's own.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from tempfile import TemporaryDirectory

from orchestrator.emulation.commands import run_in, start_in
from orchestrator.emulation.linktest import IPERF_PORT, wait_listening
from orchestrator.emulation.network import Network
from topologies.builders import two_hosts

FLOOD_SECONDS = 5
RELAY_CORE = 1
TRAFFIC_CORE = 0


def run() -> dict:
    with TemporaryDirectory() as run_dir, \
            Network(two_hosts({"delay": "1ms"}), Path(run_dir), realizer="relay") as net:
        link = net.link_control.link_between("h1", "s1")
        os.sched_setaffinity(link.relay.pid, {RELAY_CORE})
        h1, h2 = net["h1"], net["h2"]
        server = start_in(h2, ["taskset", "-c", str(TRAFFIC_CORE), "iperf3", "-s", "-1",
                               "-p", str(IPERF_PORT)])
        wait_listening(h2, IPERF_PORT)
        before = link.stats()["h1-eth0"]["relayed"]
        started = time.monotonic()
        run_in(h1, ["taskset", "-c", str(TRAFFIC_CORE), "iperf3", "-c", h2.IP(),
                    "-p", str(IPERF_PORT), "-u",
                    "-b", "0", "-l", "64", "-t", str(FLOOD_SECONDS)])
        elapsed = time.monotonic() - started
        counters = link.stats()["h1-eth0"]
        server.wait(10)
    relayed = counters["relayed"] - before
    return {"core": RELAY_CORE, "payload_bytes": 64, "seconds": round(elapsed, 2),
            "frames_relayed": relayed, "pps": round(relayed / elapsed),
            "dropped_queue": counters["dropped_queue"]}
