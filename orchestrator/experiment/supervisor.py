"""Services of a scenario: started in dependency order, each polled until
ready, stopped, killed or started again by the timeline, and read at the end."""
from __future__ import annotations

import signal
import time
from dataclasses import dataclass

from orchestrator.emulation.commands import execute
from orchestrator.emulation.waiting import WaitTimeout, stop_process, stop_processes, wait_until
from orchestrator.errors import AppLabError
from orchestrator.experiment.contexts import Contexts
from orchestrator.experiment.launch import Launched, launch
from services.base import HostContext

READY_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 5.0


class ServiceFailed(AppLabError):
    """A service did not start, did not become ready, or a workload failed."""


class HostProbe:
    """The Probe of services.base, run inside one host."""

    def __init__(self, node):
        self.node = node

    def tcp_open(self, ip: str, port: int) -> bool:
        code, _ = self.run(["bash", "-c", f"exec 3<>/dev/tcp/{ip}/{port}"])
        return code == 0

    def greeting(self, ip: str, port: int) -> str:
        code, out = self.run(["bash", "-c", f"exec 3<>/dev/tcp/{ip}/{port}; "
                              "read -t 2 -r line <&3; echo \"$line\""])
        return out.strip() if code == 0 else ""

    def run(self, argv: list[str]) -> tuple[int, str]:
        code, out, _ = execute(self.node, argv)
        return code, out


@dataclass
class RunningService:
    name: str
    role: object
    ctx: HostContext
    node: object
    launched: Launched | None = None
    probe: HostProbe | None = None
    started_at: float = 0.0
    ready_s: float | None = None

    @property
    def proc(self):
        return self.launched.proc if self.launched else None

    def log_tail(self, lines: int = 15) -> str:
        text = ""
        for log in ("stderr.log", "stdout.log", "error.log", "cache.log"):
            path = self.ctx.path(log)
            if path.exists():
                text += path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def start_layers(services: dict, roles: dict | None = None) -> list[list[str]]:
    """The services in layers, each in spec order: a service is in the layer
    after the last of those it names in ``after`` and in its role's service
    parameters (an IMAP server's MTA). A layer's services start together."""
    layer_of: dict[str, int] = {}
    visiting: set[str] = set()

    def dependencies(name):
        spec = services[name]
        refs = getattr((roles or {}).get(spec.role), "service_refs", ())
        named = [spec.params.get(key) for key in refs]
        return [*spec.after, *(n for n in named if n in services and n not in spec.after)]

    def visit(name) -> int:
        if name in layer_of:
            return layer_of[name]
        if name in visiting:
            raise AppLabError(f"services depend on each other in a cycle through {name!r}")
        visiting.add(name)
        layer_of[name] = 1 + max((visit(d) for d in dependencies(name)), default=-1)
        visiting.discard(name)
        return layer_of[name]

    for name in services:
        visit(name)
    return [[name for name in services if layer_of[name] == layer]
            for layer in range(1 + max(layer_of.values(), default=-1))]


class ServiceSupervisor:
    def __init__(self, spec, net, contexts: Contexts, console):
        self.spec, self.net, self.contexts, self.console = spec, net, contexts, console
        self.running: dict[str, RunningService] = {}

    def start_all(self) -> None:
        """Each layer's services together: all launched, then all awaited."""
        for layer in start_layers(self.spec.services, self.spec.catalogue.roles):
            self._await_ready([self._launch(name) for name in layer])

    def start(self, name: str) -> None:
        """Start ``name`` (again, after a stop) and wait until it is ready."""
        self._await_ready([self._launch(name)])

    def _launch(self, name: str) -> RunningService:
        spec = self.spec.services[name]
        running = self.running.get(name)
        if running is None:
            role = self.spec.catalogue.roles[spec.role]()
            ctx = self.contexts.make(name, spec.host, spec.params, role)
            running = RunningService(name, role, ctx, self.net[spec.host])
            self.running[name] = running
            self.contexts.write_config(role, ctx, running.node)
            self.contexts.homes[name] = ctx.home
        elif running.alive:
            raise ServiceFailed(f"service {name} is already running")
        elif running.launched is not None:
            running.launched.finish()   # its last run's sandbox
        running.started_at = time.monotonic()
        running.launched = launch(self.net, running.role, running.ctx,
                                  self.contexts.sandbox_hidden, log_mode="a")
        running.probe = HostProbe(running.node)
        running.ready_s = None
        return running

    def _await_ready(self, waiting: list[RunningService]) -> None:
        """Poll every one of ``waiting`` until it is ready; the first to exit,
        or running out of time, fails the start, with what it logged."""
        pending = list(waiting)

        def all_ready() -> bool:
            for running in list(pending):
                if running.role.ready(running.ctx, running.probe):
                    running.ready_s = time.monotonic() - running.started_at
                    pending.remove(running)
                    self.console.print(f"  {running.name} ({running.role.role}) ready on "
                                       f"{running.node.name} in {running.ready_s:.2f}s")
            return not pending

        failure: tuple[RunningService, str] | None = None

        def exited() -> str | None:
            nonlocal failure
            dead = next((r for r in pending if not r.alive), None)
            if dead is not None:
                failure = dead, f"exited with {dead.proc.returncode}"
            return failure and failure[1]

        try:
            wait_until(all_ready, READY_TIMEOUT_S, "services ready", gave_up=exited)
        except WaitTimeout:
            failed = [failure[0]] if failure else pending
            reason = failure[1] if failure else f"not after {READY_TIMEOUT_S:g}s"
            raise ServiceFailed("; ".join(f"service {r.name} ({r.role.role}) on {r.node.name}"
                                          for r in failed)
                                + f" ready: {reason}:\n"
                                + "\n".join(r.log_tail() for r in failed)) from None

    def stop(self, name: str, kill: bool = False) -> None:
        """SIGTERM and wait (SIGKILL after a while); ``kill``: SIGKILL at once,
        its whole process group, as a crash would leave it."""
        running = self.running[name]
        if not running.alive:
            raise ServiceFailed(f"service {name} is not running")
        stop_process(running.proc, 0 if kill else STOP_TIMEOUT_S,
                     signal.SIGKILL if kill else signal.SIGTERM, group=True)

    def stop_all(self) -> None:
        """All at once: each one's shutdown overlaps the others'."""
        stop_processes([r.proc for r in self.running.values() if r.proc is not None],
                       STOP_TIMEOUT_S, group=True)

    def metrics(self) -> dict[str, dict]:
        """Each service's own metrics, with its readiness time; runtime homes
        are copied into the results."""
        found = {}
        for name, running in self.running.items():
            limits_hit = []
            if running.launched is not None:
                limits_hit = running.launched.limits_hit(running.role)
                running.launched.finish()
            self.contexts.fetch(running.ctx, running.node)
            found[name] = {**running.role.metrics(running.ctx), "ready_s": running.ready_s,
                           **({"limits_hit": limits_hit} if limits_hit else {})}
            self.contexts.keep(running.ctx)
        return found
