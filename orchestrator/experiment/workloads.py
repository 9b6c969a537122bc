"""The workloads of a scenario: each role on its hosts, started at its time,
stopped and started again on some hosts by the timeline (churn), and read
at the end. Those started at once begin their work together, once every
program is set up. A run ends when every finite workload has finished."""
from __future__ import annotations

import signal
import threading
from dataclasses import dataclass

from orchestrator.emulation.commands import run_in
from orchestrator.emulation.waiting import continue_when_stopped, stop_process
from orchestrator.experiment.contexts import Contexts
from orchestrator.experiment.launch import Launched, launch
from orchestrator.experiment.result import WorkloadRun
from orchestrator.experiment.supervisor import ServiceFailed
from services.base import HostContext

# A workload that has not exited this long after its duration and drain is hung.
WORKLOAD_GRACE_S = 30.0
STOP_TIMEOUT_S = 5.0
# How long programs started together may take to set up once launched: 250
# BitTorrent peers on two cores were launched and set up in 20.6 s; a
# machine six times slower still fits.
SETUP_WITHIN_S = 120.0


@dataclass
class HostRun:
    """One run of a workload on one host; a host started again gets another."""

    workload: str
    host: str
    ctx: HostContext
    launched: Launched
    stopped: bool = False  # by the timeline: its exit status is not a failure
    begins_together: bool = False  # its program waits for the others started with it

    @property
    def proc(self):
        return self.launched.proc


class WorkloadSet:
    def __init__(self, spec, net, contexts: Contexts, services):
        self.spec, self.net, self.contexts, self.services = spec, net, contexts, services
        self.specs = spec.all_workloads
        self.roles = {name: spec.catalogue.roles[w.role] for name, w in self.specs.items()}
        self.runs: list[HostRun] = []
        self._lock = threading.Lock()

    @property
    def drain_s(self) -> float:
        return max((float(w.params.get("drain_s", self.roles[n].defaults.get("drain_s", 0)))
                    for n, w in self.specs.items()), default=0.0)

    @property
    def limit_s(self) -> float:
        """How long after the start the finite workloads may take."""
        return self.spec.duration_s + self.drain_s + WORKLOAD_GRACE_S

    def prepare(self) -> None:
        """Each workload's commands to run once on service hosts before it starts."""
        for name, workload in self.specs.items():
            client = self.roles[name]()
            ctx = self._context(name, workload.hosts[0], 0.0)
            for service_name, argv in client.prepare_commands(ctx):
                run_in(self.services.running[service_name].node, argv)

    def start_due(self) -> None:
        """The workloads that start with the run, begun together."""
        self._begin([run for name, workload in self.specs.items() if workload.start_at == 0
                     for run in self._launch(name, workload.hosts, 0.0)])

    def _context(self, name: str, host: str, elapsed_s: float) -> HostContext:
        workload = self.specs[name]
        runs_before = sum(1 for r in self.runs if r.workload == name and r.host == host)
        params = {**workload.params_for(host), "clients": len(workload.hosts),
                  "index": workload.hosts.index(host),
                  "duration_s": self.spec.duration_s - elapsed_s}
        run_name = name if not runs_before else f"{name}.{runs_before + 1}"
        return self.contexts.make(run_name, host, params)

    def start(self, name: str, hosts, elapsed_s: float) -> None:
        """Start workload ``name`` on ``hosts``, to run until the scenario's end."""
        self._begin(self._launch(name, hosts, elapsed_s))

    def _launch(self, name: str, hosts, elapsed_s: float) -> list[HostRun]:
        client = self.roles[name]()
        launched = []
        with self._lock:
            for host in hosts:
                if any(r.workload == name and r.host == host and r.proc.poll() is None
                       for r in self.runs):
                    raise ServiceFailed(f"workload {name} is already running on {host}")
                ctx = self._context(name, host, elapsed_s)
                self.contexts.write_config(client, ctx, self.net[host])
                together = self._begins_together(name, host)
                launched.append(HostRun(name, host, ctx, launch(
                    self.net, client, ctx, self.contexts.sandbox_hidden, log_mode="w",
                    begin_together=together), begins_together=together))
                self.runs.append(launched[-1])
        return launched

    def _begins_together(self, name: str, host: str) -> bool:
        """Whether its program waits for the others: its role's does, and its
        process is on this machine, where it can be seen and continued."""
        return self.roles[name].begins_together and not getattr(self.net[host], "isRemote",
                                                                  False)

    def _begin(self, runs: list[HostRun]) -> None:
        """The programs of ``runs`` that wait for each other, begun together."""
        together = [r for r in runs if r.begins_together]
        if not together:
            return
        late = continue_when_stopped([r.proc for r in together], SETUP_WITHIN_S)
        if late:
            first = next(r for r in together if r.proc is late[0])
            raise ServiceFailed(f"workload {first.workload} on {first.host} was not set up "
                                f"after {SETUP_WITHIN_S:g}s ({len(late)} of {len(together)} "
                                "programs were not)")

    def stop(self, name: str, hosts) -> None:
        """Stop workload ``name`` on ``hosts`` (SIGTERM, as a user quitting)."""
        with self._lock:
            targets = [r for r in self.runs if r.workload == name and r.host in hosts
                       and r.proc.poll() is None]
            for run in targets:
                run.stopped = True
                stop_process(run.proc, STOP_TIMEOUT_S, group=True)

    @property
    def has_finite(self) -> bool:
        return any(role.finite for role in self.roles.values())

    def finite_running(self) -> bool:
        with self._lock:
            return any(r.proc.poll() is None for r in self.runs
                       if self.roles[r.workload].finite)

    def finish(self) -> None:
        """Stop what still runs (workloads that run until stopped, or hung
        ones), then check every run ended well."""
        hung = []
        with self._lock:
            for run in self.runs:
                if run.proc.poll() is None:
                    finite = self.roles[run.workload].finite
                    if finite:
                        hung.append(run)
                    else:
                        run.stopped = True
                # Also for one that exited: what it forked may live on.
                stop_process(run.proc, STOP_TIMEOUT_S, group=True)
        if hung:
            raise ServiceFailed(f"workload {hung[0].workload} on {hung[0].host} still running "
                                f"after {self.limit_s:g}s")
        for run in self.runs:
            if run.proc.returncode != 0 and not run.stopped and not self.reports_exit(run):
                raise ServiceFailed(f"workload {run.workload} on {run.host} exited "
                                    f"{run.proc.returncode}: "
                                    f"{run.ctx.path('stderr.log').read_text()[-800:]}")

    def kill_all(self) -> None:
        """SIGKILL whatever still runs: teardown after a failure or Ctrl-C."""
        with self._lock:
            for run in self.runs:
                stop_process(run.proc, 0, signal.SIGKILL, group=True)

    def reports_exit(self, run: HostRun) -> bool:
        """Is the run's exit status a result (a program a checker judges)?"""
        return self.roles[run.workload].reports_exit

    def results(self) -> dict[str, WorkloadRun]:
        found = {name: WorkloadRun(name, w.role, list(w.hosts)) for name, w in self.specs.items()}
        for run in self.runs:
            role = self.roles[run.workload]
            limits_hit = run.launched.limits_hit(role)
            run.launched.finish()
            self.contexts.fetch(run.ctx, self.net[run.host])
            found[run.workload].rows += [{**row, "client": run.host}
                                         for row in role.read_rows(run.ctx)]
            if self.reports_exit(run):
                found[run.workload].rows.append({"kind": "exit", "client": run.host,
                                                 "status": run.proc.returncode,
                                                 "stopped": run.stopped,
                                                 "limits_hit": " ".join(limits_hit)})
        return found
