"""What a scenario watches while it runs: byte counters of monitored links,
sampled once a second, and pcaps of the links a spec asks to capture."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from functools import partial

from orchestrator.emulation.commands import start_in
from orchestrator.emulation.waiting import stop_process, wait_until
from orchestrator.errors import AppLabError
from orchestrator.experiment.metrics import CounterSampler, LinkGroup
from orchestrator.experiment.portstats import port_series
from orchestrator.experiment.result import LinkSeries

CAPTURE_START_TIMEOUT_S = 15.0
CAPTURE_STOP_TIMEOUT_S = 5.0


def stderr_reader(proc):
    """What ``proc`` has written to its stderr pipe so far, read without blocking."""
    os.set_blocking(proc.stderr.fileno(), False)
    seen = []

    def said() -> str:
        chunk = proc.stderr.read()
        if chunk:
            seen.append(chunk.decode(errors="replace"))
        return "".join(seen)
    return said


class Monitors:
    def __init__(self, spec, net, run_dir):
        self.spec, self.net, self.run_dir = spec, net, run_dir
        self.sampler: CounterSampler | None = None
        self.captures: list[tuple] = []  # (pcap path, tcpdump process)

    def capacity(self, name: str, monitor) -> tuple[float, float]:
        """(down, up) Mb/s of the monitored links now: the monitor's own ``bw``,
        else the links' rates (a monitor watches links alike: the first counts)."""
        if monitor.bw is not None:
            return monitor.bw, monitor.bw
        down = self.net.link_control.egress(monitor.node, monitor.peers[0]).bw_mbps
        up = self.net.link_control.egress(monitor.peers[0], monitor.node).bw_mbps
        if down is None or up is None:
            raise AppLabError(f"monitor {name}: the link {monitor.node}-{monitor.peers[0]} "
                              "has no bw; give the monitor a bw")
        return down, up

    def link_group(self, name: str, monitor) -> LinkGroup:
        node = self.net[monitor.node]
        interfaces = [mine.name for peer in monitor.peers
                      for mine, _ in node.connectionsTo(self.net[peer])]
        reader = partial(self.net.link_control.queue_stats, monitor.node, interfaces) \
            if monitor.queue else None
        netdev = partial(node.read_machine_file, f"/proc/{node.pid}/net/dev")
        return LinkGroup(name, netdev, interfaces, *self.capacity(name, monitor), reader)

    def follow_links(self) -> None:
        """Take each monitored link's capacity anew, in force from now, after
        a run-time change."""
        now = time.time()
        for group in self.sampler.groups if self.sampler else []:
            capacity = self.capacity(group.name, self.spec.monitor[group.name])
            if capacity != (group.down_mbps, group.up_mbps):
                group.change_capacity(*capacity, at=now)

    def start(self) -> None:
        self.start_captures()
        groups = [self.link_group(name, m) for name, m in self.spec.monitor.items()]
        self.sampler = CounterSampler(groups).start()

    def latest(self) -> tuple[str, float] | None:
        """The first monitor's name and its utilisation in the last second."""
        if not self.sampler or not self.sampler.groups:
            return None
        name = self.sampler.groups[0].name
        util = self.sampler.latest_utilisation(name)
        return None if util is None else (name, util)

    def start_captures(self) -> None:
        """tcpdump on each requested interface, writing into the results."""
        for capture in self.spec.captures:
            node = self.net[capture.node]
            intf, _ = node.connectionsTo(self.net[capture.peer])[0]
            pcap = self.run_dir / f"{capture.node}-{intf.name}.pcap"
            # --immediate-mode: each packet is written as it comes; libpcap
            # otherwise holds them up to a second, lost if the run ends sooner.
            proc = start_in(node, ["tcpdump", "-i", intf.name, "-n", "-U", "--immediate-mode",
                                   "-s", str(capture.snaplen), "-w", str(pcap)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            self.captures.append((pcap, proc))
            said = stderr_reader(proc)
            # tcpdump says "listening on" once its capture is active
            wait_until(lambda said=said: "listening on" in said(), CAPTURE_START_TIMEOUT_S,
                       f"tcpdump on {capture.node}:{intf.name} listening",
                       gave_up=lambda p=proc, said=said: None if p.poll() is None
                       else said()[-400:])

    def stop(self) -> None:
        if self.sampler and self.sampler.running:
            self.sampler.stop()
        for _, proc in self.captures:
            stop_process(proc, CAPTURE_STOP_TIMEOUT_S, signal.SIGINT)  # SIGINT: tcpdump flushes

    def series(self) -> dict[str, LinkSeries]:
        if not self.sampler:
            return {}
        rows = self.sampler.series()
        return {g.name: self._link_series(g, rows[g.name]) for g in self.sampler.groups}

    def port_series(self, records: list[dict]) -> dict[str, LinkSeries]:
        """Each monitor on a switch measured again, by the OpenFlow port
        counters in the controller's ``records``."""
        series = {}
        for group in self.sampler.groups if self.sampler else []:
            node = self.spec.monitor[group.name].node
            if self.net.topo.isSwitch(node):
                dpid, ports = self.net.openflow_ports(node, group.interfaces)
                series[group.name] = self._link_series(
                    group, port_series(records, group, dpid, ports))
        return series

    def _link_series(self, group: LinkGroup, rows: list[dict]) -> LinkSeries:
        monitor = self.spec.monitor[group.name]
        return LinkSeries(group.name, monitor.node, list(monitor.peers), group.down_mbps,
                          group.up_mbps, rows)

    @property
    def pcaps(self) -> list[str]:
        return [str(pcap) for pcap, _ in self.captures]
