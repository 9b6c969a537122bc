"""One scenario's run: bring the network up, start its services, run its
workloads and timeline while monitors watch, collect a typed result, and
always tear down. Each phase's wall time is kept for the manifest."""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.emulation import hold as hold_state
from orchestrator.emulation.cluster.placement import place
from orchestrator.emulation.containers.backend import ContainerHosts
from orchestrator.emulation.containers.hosts import ContainerSpec
from orchestrator.emulation.network import Network
from orchestrator.experiment.contexts import Contexts
from orchestrator.experiment.monitors import Monitors
from orchestrator.experiment.resources import ResourceMeter
from orchestrator.experiment.result import EventKind, RunResult
from orchestrator.experiment.spec import ResolvedSpec, machine_of
from orchestrator.experiment.supervisor import ServiceFailed, ServiceSupervisor
from orchestrator.experiment.timeline import Planned, Timeline, plan
from orchestrator.experiment.workloads import WorkloadSet

PROGRESS_POLL_S = 0.5


@contextmanager
def no_progress(spec):
    """Show nothing while the workloads run."""
    yield lambda elapsed, status: None


class Turn:
    """When a scenario may measure. Alone, at once; where scenarios overlap
    (pipeline.py), one measures at a time: ``begin`` waits for its turn once
    it is prepared, ``end`` passes the turn on once it has drained."""

    def begin(self, run: ScenarioRun) -> None:
        """Called with the network up, services started, warm-up done."""

    def end(self) -> None:
        """Called once the workloads have ended and drained."""


class PhaseClock:
    """Wall time per named phase, summed over repeats."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.seconds: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str):
        started = self.clock()
        try:
            yield
        finally:
            self.add(name, self.clock() - started)

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds


def container_specs(spec: ResolvedSpec) -> dict[str, ContainerSpec]:
    return {host: ContainerSpec(c.image, c.cpus, c.memory,
                                tuple(c.cmd) if c.cmd is not None else None)
            for host, c in spec.containers.items()}


def ready_containers(spec: ResolvedSpec, stack: ExitStack, say) -> None:
    """The Docker engine the scenario's container hosts run on, held open
    by ``stack``, and their images built: from the machine's namespace,
    where the engine lives and the image builds reach the Debian mirror."""
    ContainerHosts(container_specs(spec), say=say).start(stack)


def network_for(spec: ResolvedSpec, run_dir: Path, say) -> Network:
    """The emulation a scenario asks for: its topology, realizer, switches,
    container hosts, controller and machines."""
    containers = container_specs(spec)
    topo = spec.topology.build()
    machines = {name: machine_of(name, m) for name, m in spec.machines.items()}
    placement = place(topo, spec.placement, list(machines), spec.placer) if machines else {}
    controller_app = spec.catalogue.controllers[spec.controller.app] if spec.controller \
        else None
    return Network(topo, run_dir, realizer=spec.realizer, switch=spec.switch,
                   tcp_congestion=spec.tcp_congestion, containers=containers,
                   controller_app=controller_app, machines=machines, placement=placement,
                   links=spec.catalogue.links, say=say)


@dataclass
class ScenarioRun:
    spec: ResolvedSpec
    run_dir: Path
    console: object
    # show(elapsed_s, status) while the workloads run; a context manager gives it
    progress: Callable = no_progress
    phases: PhaseClock = field(default_factory=PhaseClock)
    net: Network | None = None
    contexts: Contexts | None = None
    services: ServiceSupervisor | None = None
    workloads: WorkloadSet | None = None
    monitors: Monitors | None = None
    timeline: Timeline | None = None
    window: tuple[float, float] = (0.0, 0.0)
    meter: ResourceMeter = field(default_factory=ResourceMeter)
    # What its sandboxed programs may not see (other students' submissions).
    hidden: tuple[Path, ...] = ()
    turn: Turn = field(default_factory=Turn)

    def execute(self, hold: bool = False,
                while_up: Callable[[ScenarioRun], None] | None = None) -> RunResult:
        """Run the scenario and return what it measured; tear down in any case.
        Its phases' times are added to ``phases`` (shared by an experiment's
        scenarios) and kept, its own, in the result. ``while_up`` is called
        once the workloads are done, with the network and services still up
        (an assignment's checks)."""
        before = dict(self.phases.seconds)
        self.meter.start()
        self.net = network_for(self.spec, self.run_dir, say=self.console.print)
        try:
            result = self._run(hold, while_up)
        finally:
            with self.phases.phase("teardown"):
                self._teardown()
        result.phases = {name: spent - before.get(name, 0.0)
                         for name, spent in self.phases.seconds.items()
                         if spent != before.get(name, 0.0)}
        used = result.resources = self.meter.stop()
        self.console.print(f"  CPU {used['cpu_s']:.0f} s in {used['wall_s']:.0f} s "
                           f"({100 * (used['cpu_share'] or 0):.0f} % of the cores); memory in "
                           f"use peaked {used['memory_added_mb']:.0f} MB above the start")
        return result

    def _switch_note(self) -> str:
        if self.net.datapath is None:
            return ""
        note = f", Open vSwitch ({self.net.datapath} datapath)"
        return note + (f" under controller app {self.spec.controller.app}"
                       if self.spec.controller else "")

    def _run(self, hold: bool, while_up) -> RunResult:
        with self.phases.phase("bring-up"):
            self.net.start()
            if self.spec.static_arp:
                self.net.fill_neighbour_tables()
        containers = len(self.net.containers)
        self.console.print(f"  network up: {len(self.net.hosts)} hosts"
                           f"{f' ({containers} containers)' if containers else ''}, "
                           f"realizer {self.net.realizer}{self._switch_note()}")
        self.contexts = Contexts(self.spec, self.run_dir, self.net.addresses,
                                 hidden=self.hidden)
        self.net.record_runtime_dir(self.contexts.runtime_dir)
        self.services = ServiceSupervisor(self.spec, self.net, self.contexts, self.console)
        with self.phases.phase("services"):
            if self.spec.dns:
                dns, addresses = self.spec.dns, self.net.addresses
                plan = dns.plan(list(addresses), {n: s.host for n, s in self.spec.services.items()})
                self.contexts.names = plan.build(addresses, distance=self.net.topo.rttMs)
                self.net.use_resolvers({h: addresses[dns.resolver_of(h)] for h in addresses})
            self.services.start_all()
            self.monitors = Monitors(self.spec, self.net, self.run_dir)
            self.monitors.start()
            self.workloads = WorkloadSet(self.spec, self.net, self.contexts, self.services)
        # The experiment's own preparation (a resolver told the origin's name,
        # a cache filled), timed apart: its length is the emulated links'.
        with self.phases.phase("warm-up"):
            self.workloads.prepare()
        self.turn.begin(self)    # not a phase: it waits while another scenario measures
        self._run_workloads()
        if while_up is not None:
            while_up(self)      # captures still running: they see its traffic too
        self.monitors.stop()
        if hold:
            self.hold()
        with self.phases.phase("collect"):
            self.services.stop_all()
            return RunResult(
                realizer=self.net.realizer, datapath=self.net.datapath, window=self.window,
                workloads=self.workloads.results(), services=self.services.metrics(),
                links=self.monitors.series(), events=self.timeline.records,
                addresses=self.net.addresses, link_params=self.net.link_control.params,
                link_stats=self.net.link_control.counters(), pcaps=self.monitors.pcaps,
                containers=self.net.container_hosts.images,
                port_stats=self.monitors.port_series(self.net.controller.records())
                if self.net.controller else {})

    def _run_workloads(self) -> None:
        """Start the workloads and the timeline together; wait for the finite
        workloads to finish (they stop themselves after duration and drain)."""
        self.timeline = Timeline(plan(self.spec.events, self.spec.all_workloads), self.act)
        with self.phases.phase("launch"):
            self.workloads.start_due()
        started, wall = time.monotonic(), time.time()
        self.window = (wall, wall + self.spec.duration_s)
        self.timeline.start(started)
        with self.progress(self.spec) as show:
            while True:
                elapsed = time.monotonic() - started
                finite_left = self.workloads.finite_running()
                if elapsed >= self.workloads.limit_s or (
                        not finite_left and elapsed >= self._ends_no_sooner_than_s()):
                    break
                show(elapsed, self._status(elapsed))
                self.meter.sample()
                time.sleep(PROGRESS_POLL_S)
        self.phases.add("workload", min(elapsed, self.spec.duration_s))
        self.phases.add("drain", max(0.0, elapsed - self.spec.duration_s))
        self.timeline.stop()
        self.workloads.finish()
        self.turn.end()
        if self.timeline.failures:
            failed = self.timeline.failures[0]
            raise ServiceFailed(f"event at {failed.at_s:g}s ({failed.kind} {failed.target}) "
                                f"failed: {failed.error}")

    def _ends_no_sooner_than_s(self) -> float:
        """Events still to come keep the run going when the finite workloads are
        done; with no finite workload at all, it runs for its duration."""
        last_event = max((p.at_s for p in self.timeline.planned), default=0.0)
        return last_event if self.workloads.has_finite else max(last_event,
                                                                 self.spec.duration_s)

    def _status(self, elapsed: float) -> str:
        latest = self.monitors.latest()
        status = f"{latest[0]} {100 * latest[1]:.0f}%" if latest else ""
        return status + (" (draining)" if elapsed > self.spec.duration_s else "")

    def act(self, event: Planned) -> dict | None:
        """Carry out one timeline event; return what it saw. Every kind of
        event is matched here, and only here."""
        match EventKind(event.kind):
            case EventKind.LINK_SET:
                ends = event.ends
                began = time.monotonic()
                queued = self.net.link_control.queued_bytes(*ends)  # what the change found waiting
                self.net.link_control.set(*ends, event.change)
                # When the new parameters were in force: a slow kernel takes a
                # tenth of a second or more to read the queue and change a class.
                applied_after_s = time.monotonic() - began
                self.monitors.follow_links()
                return {"queued_bytes": queued, "applied_after_s": applied_after_s}
            case EventKind.LINK_UP | EventKind.LINK_DOWN:
                self.net.link_control.set_up(*event.ends, up=event.kind == EventKind.LINK_UP)
            case EventKind.SERVICE_STOP | EventKind.SERVICE_KILL:
                self.services.stop(event.target, kill=event.kind == EventKind.SERVICE_KILL)
            case EventKind.SERVICE_START:
                self.services.start(event.target)
            case EventKind.WORKLOAD_STOP:
                self.workloads.stop(event.target, event.hosts)
            case EventKind.WORKLOAD_START:
                self.workloads.start(event.target, event.hosts,
                                     time.monotonic() - self.timeline.t0)
        return None

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

    def _teardown(self) -> None:
        try:
            if self.timeline is not None:
                self.timeline.stop()
            if self.monitors is not None:
                self.monitors.stop()
            if self.workloads is not None:
                self.workloads.kill_all()
            if self.services is not None:
                self.services.stop_all()
        finally:
            self.net.stop()
            hold_state.release(self.run_dir)
            if self.contexts is not None:
                self.contexts.remove_runtime()


def write_json(path: Path, data) -> None:
    # Streamed: a run's rows can be millions, and their text gigabytes.
    with open(path, "w") as handle:
        json.dump(data, handle, indent=2, default=str)
        handle.write("\n")
