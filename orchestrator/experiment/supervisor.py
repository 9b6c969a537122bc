"""Services of a scenario: started in dependency order, each polled until
ready, stopped, killed or started again by the timeline, and read at the end."""
from __future__ import annotations

import signal
import time
from dataclasses import dataclass

from orchestrator.emulation.commands import execute
from orchestrator.emulation.waiting import WaitTimeout, stop_process, wait_until
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


def start_order(services: dict, roles: dict | None = None) -> list[str]:
    """Spec order, moved so that each service comes after those it names in
    ``after`` and in its role's service parameters (an IMAP server's MTA)."""
    ordered: list[str] = []
    visiting: set[str] = set()

    def dependencies(name):
        spec = services[name]
        refs = getattr((roles or {}).get(spec.role), "service_refs", ())
        named = [spec.params.get(key) for key in refs]
        return [*spec.after, *(n for n in named if n in services and n not in spec.after)]

    def visit(name):
        if name in ordered:
            return
        if name in visiting:
            raise AppLabError(f"services depend on each other in a cycle through {name!r}")
        visiting.add(name)
        for dependency in dependencies(name):
            visit(dependency)
        visiting.discard(name)
        ordered.append(name)

    for name in services:
        visit(name)
    return ordered


class ServiceSupervisor:
    def __init__(self, spec, net, contexts: Contexts, console):
        self.spec, self.net, self.contexts, self.console = spec, net, contexts, console
        self.running: dict[str, RunningService] = {}

    def start_all(self) -> None:
        for name in start_order(self.spec.services, self.spec.catalogue.roles):
            self.start(name)

    def start(self, name: str) -> None:
        """Start ``name`` (again, after a stop) and wait until it is ready."""
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
        started = time.monotonic()
        running.launched = launch(self.net, running.role, running.ctx,
                                  self.contexts.sandbox_hidden, log_mode="a")
        probe = HostProbe(running.node)
        try:
            wait_until(lambda: running.role.ready(running.ctx, probe), READY_TIMEOUT_S,
                       f"service {name} ({spec.role}) on {spec.host} ready",
                       gave_up=lambda: None if running.alive else
                       f"exited with {running.proc.returncode}")
        except WaitTimeout as exc:
            raise ServiceFailed(f"{exc}:\n{running.log_tail()}") from None
        running.ready_s = time.monotonic() - started
        self.console.print(f"  {name} ({spec.role}) ready on {spec.host} "
                           f"in {running.ready_s:.2f}s")

    def stop(self, name: str, kill: bool = False) -> None:
        """SIGTERM and wait (SIGKILL after a while); ``kill``: SIGKILL at once,
        its whole process group, as a crash would leave it."""
        running = self.running[name]
        if not running.alive:
            raise ServiceFailed(f"service {name} is not running")
        stop_process(running.proc, 0 if kill else STOP_TIMEOUT_S,
                     signal.SIGKILL if kill else signal.SIGTERM, group=True)

    def stop_all(self) -> None:
        for running in reversed(list(self.running.values())):
            if running.proc is not None:
                stop_process(running.proc, STOP_TIMEOUT_S, group=True)

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
