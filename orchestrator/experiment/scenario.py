"""The run lifecycle: build the topology, start services in dependency order,
run the workload, collect metrics, and always tear down."""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.emulation import hold as hold_state
from orchestrator.emulation import state
from orchestrator.emulation.commands import execute, run_in, start_in
from orchestrator.emulation.network import Network
from orchestrator.errors import AppLabError
from orchestrator.experiment.metrics import CounterSampler, LinkGroup
from orchestrator.experiment.spec import ResolvedSpec
from services import REGISTRY
from services.base import HostContext
from topologies.names import Names

READY_TIMEOUT_S = 15.0
READY_POLL_S = 0.02
STOP_TIMEOUT_S = 5.0
# A workload that has not exited this long after its duration and drain is hung.
WORKLOAD_GRACE_S = 30.0


class ServiceFailed(AppLabError):
    """A service did not start, did not become ready, or a workload failed."""


def queue_reader(node, interfaces: list[str]):
    """Backlog bytes and drops of the root qdiscs on ``interfaces``."""
    def read() -> tuple[int, int]:
        backlog = drops = 0
        for intf in interfaces:
            for qdisc in json.loads(run_in(node, ["tc", "-s", "-j", "qdisc", "show", "dev", intf])):
                if qdisc.get("root"):
                    backlog += qdisc.get("backlog", 0)
                    drops += qdisc.get("drops", 0)
        return backlog, drops
    return read


class HostProbe:
    """The Probe of services.base, run inside one host."""

    def __init__(self, node):
        self.node = node

    def tcp_open(self, ip: str, port: int) -> bool:
        code, _ = self.run(["bash", "-c", f"exec 3<>/dev/tcp/{ip}/{port}"])
        return code == 0

    def run(self, argv: list[str]) -> tuple[int, str]:
        code, out, _ = execute(self.node, argv)
        return code, out


@dataclass
class RunningService:
    name: str
    service: object
    ctx: HostContext
    node: object
    proc: object = None
    ready_s: float | None = None

    def log_tail(self, lines: int = 15) -> str:
        text = ""
        for log in ("stderr.log", "stdout.log", "error.log", "cache.log"):
            path = self.ctx.path(log)
            if path.exists():
                text += path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def start_order(services: dict) -> list[str]:
    """Spec order, moved so that each service comes after those it names in ``after``."""
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name):
        if name in ordered:
            return
        if name in visiting:
            raise AppLabError(f"services depend on each other in a cycle through {name!r}")
        visiting.add(name)
        for dependency in services[name].after:
            visit(dependency)
        visiting.discard(name)
        ordered.append(name)

    for name in services:
        visit(name)
    return ordered


@dataclass
class ScenarioRun:
    spec: ResolvedSpec
    run_dir: Path
    console: object
    net: Network | None = None
    services: dict[str, RunningService] = field(default_factory=dict)
    workload_ctxs: list[HostContext] = field(default_factory=list)
    sampler: CounterSampler | None = None
    window: tuple[float, float] = (0.0, 0.0)
    captures: list = field(default_factory=list)  # (pcap path, tcpdump process)
    names: Names | None = None

    # Contexts

    def context(self, name: str, host: str, params: dict, user: str | None = None
                ) -> HostContext:
        services = {n: s.host for n, s in self.spec.services.items()}
        return HostContext(name=name, host=host, ip=self.net[host].IP(),
                           home=self.home(host, name, user), params=params,
                           addresses=self.net.addresses, services=services,
                           seed=self.spec.seed,
                           homes={n: r.ctx.home for n, r in self.services.items()},
                           names=self.names,
                           resolver=self.spec.dns.resolver if self.names else None)

    def home(self, host: str, name: str, user: str | None) -> Path:
        """A service's private directory: under the results, or, for a daemon
        that drops to another user, under the runtime directory (the results
        may sit below a directory only root may enter); collect() copies it
        into the results."""
        if user is None:
            return self.run_dir / "hosts" / host / name
        return self.runtime_dir / host / name

    @property
    def runtime_dir(self) -> Path:
        return state.RUNTIME_HOMES / f"{self.run_dir.parent.name}-{self.spec.scenario}"

    def results_home(self, ctx: HostContext) -> Path:
        return self.run_dir / "hosts" / ctx.host / ctx.name

    @staticmethod
    def write_config(service, ctx: HostContext) -> None:
        ctx.home.mkdir(parents=True, exist_ok=True)
        for path, text in service.config(ctx).items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        if service.user:
            for path in [ctx.home, *ctx.home.rglob("*")]:
                shutil.chown(path, user=service.user)

    # Services

    def start_dns(self) -> None:
        """Build the zones from the plan and the hosts' addresses; point every
        host at the local DNS server."""
        self.names = self.spec.dns.plan().build(self.net.addresses)
        self.net.use_resolver(self.net.addresses[self.spec.dns.resolver])

    def start_services(self) -> None:
        for name in start_order(self.spec.services):
            spec = self.spec.services[name]
            service = REGISTRY[spec.role]()
            ctx = self.context(name, spec.host, spec.params, service.user)
            running = RunningService(name, service, ctx, self.net[spec.host])
            self.services[name] = running
            self.write_config(service, ctx)
            started = time.monotonic()
            running.proc = start_in(running.node, service.command(ctx),
                                    stdout=open(ctx.path("stdout.log"), "w"),
                                    stderr=open(ctx.path("stderr.log"), "w"))
            probe = HostProbe(running.node)
            while not service.ready(ctx, probe):
                if running.proc.poll() is not None:
                    raise ServiceFailed(f"service {name} ({spec.role}) on {spec.host} exited "
                                        f"with {running.proc.returncode}:\n"
                                        f"{running.log_tail()}")
                if time.monotonic() - started > READY_TIMEOUT_S:
                    raise ServiceFailed(f"service {name} ({spec.role}) on {spec.host} not "
                                        f"ready after {READY_TIMEOUT_S:g}s:\n"
                                        f"{running.log_tail()}")
                time.sleep(READY_POLL_S)
            running.ready_s = time.monotonic() - started
            self.console.print(f"  {name} ({spec.role}) ready on {spec.host} "
                               f"in {running.ready_s:.2f}s")

    def stop_services(self) -> None:
        for running in reversed(list(self.services.values())):
            proc = running.proc
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    # Workload

    def workload_contexts(self) -> list[HostContext]:
        workload = self.spec.workload
        contexts = []
        for index, host in enumerate(workload.hosts):
            params = {**workload.params, "clients": len(workload.hosts), "index": index,
                      "duration_s": self.spec.duration_s}
            contexts.append(self.context(f"{workload.role}", host, params))
        return contexts

    def prepare_workload(self, client, ctx: HostContext) -> None:
        for service_name, argv in client.prepare_commands(ctx):
            run_in(self.services[service_name].node, argv)

    def run_workload(self, progress) -> None:
        workload = self.spec.workload
        client = REGISTRY[workload.role]()
        self.workload_ctxs = self.workload_contexts()
        self.prepare_workload(client, self.workload_ctxs[0])
        procs = []
        start = time.time()
        for ctx in self.workload_ctxs:
            self.write_config(client, ctx)
            procs.append(start_in(self.net[ctx.host], client.command(ctx),
                                  stdout=open(ctx.path("stdout.log"), "w"),
                                  stderr=open(ctx.path("stderr.log"), "w")))
        self.window = (start, start + self.spec.duration_s)
        limit = self.spec.duration_s + float(workload.params.get(
            "drain_s", client.defaults.get("drain_s", 0))) + WORKLOAD_GRACE_S
        progress(self, procs, limit)
        for ctx, proc in zip(self.workload_ctxs, procs, strict=True):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
                raise ServiceFailed(f"workload on {ctx.host} still running after {limit:g}s")
            if proc.returncode != 0:
                raise ServiceFailed(f"workload on {ctx.host} exited {proc.returncode}: "
                                    f"{ctx.path('stderr.log').read_text()[-800:]}")

    # Counters

    def link_groups(self) -> list[LinkGroup]:
        groups = []
        for name, monitor in self.spec.monitor.items():
            node = self.net[monitor.node]
            interfaces, bw = [], monitor.bw
            for peer in monitor.peers:
                for mine, _theirs in node.connectionsTo(self.net[peer]):
                    interfaces.append(mine.name)
                if bw is None:
                    bw = self.link_bw(monitor.node, peer)
            if bw is None:
                raise AppLabError(f"monitor {name}: the link {monitor.node}-{monitor.peers[0]} "
                                  "has no bw; give the monitor a bw")
            reader = queue_reader(node, interfaces) if monitor.queue else None
            groups.append(LinkGroup(name, node.pid, interfaces, bw, reader))
        return groups

    def link_bw(self, node: str, peer: str) -> float | None:
        for key in (f"{node}-{peer}", f"{peer}-{node}"):
            if key in self.net.link_params:
                return self.net.link_params[key]["bw_mbps"]
        return None

    # The whole scenario

    def execute(self, hold: bool, progress) -> dict:
        """Run the scenario; return its raw measurements."""
        topo = self.spec.topology.build()
        self.net = Network(topo, self.run_dir, realizer=self.spec.realizer,
                           switch=self.spec.switch, tcp_congestion=self.spec.tcp_congestion)
        try:
            self.net.start()
            self.console.print(f"  network up: {len(self.net.hosts)} hosts, "
                               f"realizer {self.net.realizer}")
            if self.spec.static_arp:
                self.net.fill_neighbour_tables()
            if self.spec.dns:
                self.start_dns()
            self.start_services()
            self.start_captures()
            self.sampler = CounterSampler(self.link_groups()).start()
            if self.spec.workload:
                self.run_workload(progress)
            self.sampler.stop()
            if hold:
                self.hold()
            self.stop_services()
            self.stop_captures()
            return self.collect()
        finally:
            if self.sampler and self.sampler._thread.is_alive():
                self.sampler.stop()
            self.stop_services()
            self.stop_captures()
            self.net.stop()
            hold_state.release(self.run_dir)
            shutil.rmtree(self.runtime_dir, ignore_errors=True)

    def start_captures(self) -> None:
        """tcpdump on each requested interface, writing into the results."""
        for capture in self.spec.captures:
            node = self.net[capture.node]
            intf, _ = node.connectionsTo(self.net[capture.peer])[0]
            pcap = self.run_dir / f"{capture.node}-{intf.name}.pcap"
            proc = start_in(node, ["tcpdump", "-i", intf.name, "-n", "-U", "-s",
                                   str(capture.snaplen), "-w", str(pcap)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            deadline = time.monotonic() + READY_TIMEOUT_S
            while not pcap.exists():  # tcpdump creates the file once it listens
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise ServiceFailed(f"tcpdump on {capture.node}:{intf.name} did not "
                                        f"start: {proc.stderr.read().decode()[-400:]}")
                time.sleep(READY_POLL_S)
            self.captures.append((pcap, proc))

    def stop_captures(self) -> None:
        for _, proc in self.captures:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)  # lets tcpdump flush the file
                try:
                    proc.wait(STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    def hold(self) -> None:
        nodes = self.net.hosts + self.net.net.switches
        hold_state.publish(self.run_dir, {n.name: n.pid for n in nodes},
                           {h.name: [(i.name, i.IP(), i.prefixLen) for i in h.intfList()
                                     if i.name != "lo"] for h in self.net.hosts})
        self.console.print(f"[bold]holding[/bold] the network of scenario {self.spec.scenario}: "
                           "`applab exec HOST -- CMD` or `applab cli` in another terminal; "
                           "Ctrl-C here to tear down")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            self.console.print("hold ended: collecting results, then tearing down")

    def collect(self) -> dict:
        services = {name: r.service.metrics(r.ctx) for name, r in self.services.items()}
        for running in self.services.values():
            if running.ctx.home != self.results_home(running.ctx):
                shutil.copytree(running.ctx.home, self.results_home(running.ctx),
                                dirs_exist_ok=True)
        for name, running in self.services.items():
            services[name]["ready_s"] = running.ready_s
        requests = []
        if self.spec.workload:
            client = REGISTRY[self.spec.workload.role]
            for ctx in self.workload_ctxs:
                for row in client.read_rows(ctx):
                    requests.append({**row, "client": ctx.host})
        return {"services": services, "requests": requests,
                "utilisation": self.sampler.series() if self.sampler else {},
                "window": self.window, "link_params": self.net.link_params,
                "addresses": self.net.addresses,
                "link_stats": self.net.collect_link_stats(), "realizer": self.net.realizer,
                "pcaps": [str(pcap) for pcap, _ in self.captures]}


def write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
