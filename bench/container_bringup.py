"""Bring-up and teardown of star topologies whose hosts are all containers,
against the same topologies with namespace hosts, on one running engine
(started here first if none runs: its own start is timed apart).

Goal from the containers issue: under 1 s per container host."""
from __future__ import annotations

import statistics
import time
from pathlib import Path
from tempfile import TemporaryDirectory

from orchestrator.emulation.containers.engine import client_or_none, engine
from orchestrator.emulation.containers.hosts import ContainerSpec
from orchestrator.emulation.network import Network
from topologies.builders import star_lan

SIZES = (10, 20)
REPEATS = 3
IMAGE = "base"
PER_HOST_GOAL_S = 1.0


def timed_network(hosts: int, containers: bool) -> tuple[float, float]:
    """Seconds to bring the network up, and to tear it down."""
    topo = star_lan(hosts)
    specs = {h: ContainerSpec(IMAGE) for h in topo.hosts()} if containers else {}
    with TemporaryDirectory() as run_dir:
        net = Network(topo, Path(run_dir), containers=specs, say=lambda *_: None)
        started = time.monotonic()
        net.start()
        up = time.monotonic() - started
        started = time.monotonic()
        net.stop()
        return up, time.monotonic() - started


def run() -> dict:
    engine_started = time.monotonic()
    already = client_or_none() is not None
    with engine(say=lambda *_: None):
        engine_s = None if already else time.monotonic() - engine_started
        timed_network(2, containers=True)    # the image built or found, once
        rows = []
        for hosts in SIZES:
            runs = {kind: [timed_network(hosts, kind == "containers") for _ in range(REPEATS)]
                    for kind in ("namespaces", "containers")}
            median = {kind: (statistics.median(u for u, _ in r),
                             statistics.median(d for _, d in r)) for kind, r in runs.items()}
            per_host = median["containers"][0] / hosts
            rows.append({"hosts": hosts,
                         "namespaces_up_s": median["namespaces"][0],
                         "namespaces_down_s": median["namespaces"][1],
                         "containers_up_s": median["containers"][0],
                         "containers_down_s": median["containers"][1],
                         "container_up_per_host_s": per_host,
                         "goal_met": per_host < PER_HOST_GOAL_S})
    return {"engine_start_s": engine_s, "image": IMAGE, "repeats": REPEATS,
            "per_host_goal_s": PER_HOST_GOAL_S, "sizes": rows}
