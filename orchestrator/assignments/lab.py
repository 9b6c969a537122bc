"""What an assignment's checks see of the live network: run a command on a
host, a host's address, a program's output and exit, a link's settings and
what it has dropped."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from orchestrator.assignments import wire
from orchestrator.emulation.commands import execute
from services.programs.program import time_limited

# How long a check's command may take unless it says otherwise.
COMMAND_TIMEOUT_S = 15.0
# How long an exchange waits for a server's answer: a server that answers
# at all does so well within it over the assignments' links.
EXCHANGE_WAIT_S = 5.0


@dataclass(frozen=True)
class Completed:
    status: int       # TIMED_OUT_STATUS: it was still running at its timeout
    out: str
    err: str


@dataclass(frozen=True)
class HttpReply:
    status: int | None   # None: no HTTP response at all
    headers: dict        # lowercase names
    body: bytes
    error: str           # curl's complaint, if any


@dataclass(frozen=True)
class ProgramOutput:
    stdout: str
    stderr: str
    status: int | None   # None: still running (a server)
    logs: tuple[Path, ...]
    limits_hit: tuple[str, ...] = ()   # of its sandbox: memory, tasks, disk, time


class Lab:
    """One scenario's network, up, for ``check_*(lab)`` functions."""

    def __init__(self, scenario_run, folder: Path):
        self._run, self.folder = scenario_run, folder
        self.scenario = scenario_run.spec.scenario

    def address(self, host: str) -> str:
        return self._run.net.addresses[host]

    @property
    def addresses(self) -> dict[str, str]:
        """Every host's address, by host."""
        return dict(self._run.net.addresses)

    def file(self, relative: str) -> str:
        """A file of the assignment's folder (a reference client, say)."""
        return str(self.folder / relative)

    def scratch(self, name: str) -> Path:
        """A path in the run's results where a check may keep what it fetched."""
        folder = self._run.run_dir / "checks"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name

    def run(self, host: str, argv: list[str], input: str | None = None,
            timeout_s: float = COMMAND_TIMEOUT_S) -> Completed:
        """Run ``argv`` on ``host`` now, ``input`` on its stdin, killed
        (with what it forked) after ``timeout_s``."""
        code, out, err = execute(self._run.net[host], time_limited(argv, timeout_s),
                                 input_text=input)
        return Completed(code, out, err)

    def http_get(self, host: str, url: str, name: str, proxy: str | None = None) -> HttpReply:
        """GET ``url`` with curl on ``host`` (through ``proxy``, a URL), the
        body and headers kept under ``name`` in the run's results."""
        body, head = self.scratch(name), self.scratch(name + ".headers")
        done = self.run(host, ["curl", "-s", *(["-x", proxy] if proxy else []),
                               "-o", str(body), "-D", str(head), "-w", "%{http_code}",
                               "--max-time", "10", url])
        headers = {}
        for line in head.read_text(errors="replace").splitlines()[1:] if head.exists() else []:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        code = done.out.strip()
        return HttpReply(None if code in ("", "000") else int(code), headers,
                         body.read_bytes() if body.exists() else b"", done.err.strip())

    def exchange(self, host: str, address: str, port: int, data: bytes,
                 protocol: str = "tcp", wait_s: float = EXCHANGE_WAIT_S) -> bytes | None:
        """Send ``data`` from ``host`` to ``address``:``port`` as it is (tcp:
        on a new connection, closed at once when ``data`` is empty); what
        came back within ``wait_s`` (b"": nothing), None if refused."""
        done = self.run(host, [sys.executable, "-m", "orchestrator.assignments.wire", protocol,
                               address, str(port), data.hex(), f"{wait_s:g}"],
                        timeout_s=wait_s + COMMAND_TIMEOUT_S)
        if done.status == wire.REFUSED:
            return None
        if done.status not in (0, wire.SILENT):
            raise RuntimeError(f"the exchange with {address}:{port} failed: {done.err[-300:]}")
        return bytes.fromhex(done.out.strip())

    def home(self, service: str) -> Path:
        """A service's home: its configuration, its logs (a mail server's
        postfix.log, say)."""
        return self._run.services.running[service].ctx.home

    def program(self, name: str) -> ProgramOutput:
        """A program of the spec (a service, or a workload's first host) by name."""
        running = self._run.services.running.get(name)
        if running is not None:
            ctx, launched, role = running.ctx, running.launched, running.role
        else:
            runs = [r for r in self._run.workloads.runs if r.workload == name]
            if not runs:
                raise KeyError(f"no program {name!r} in this scenario")
            ctx, launched, role = runs[0].ctx, runs[0].launched, self._run.workloads.roles[name]
        logs = (ctx.path("stdout.log"), ctx.path("stderr.log"))
        read = [p.read_text(errors="replace") if p.exists() else "" for p in logs]
        return ProgramOutput(read[0], read[1], launched.proc.poll(), logs,
                             tuple(launched.limits_hit(role)))

    def link(self, a: str, b: str):
        """The settings of the link between nodes ``a`` and ``b`` in the
        direction a -> b (bw_mbps, delay_ms, jitter_ms, loss_pct)."""
        return self._run.net.link_control.egress(a, b)

    def dropped(self, a: str, b: str) -> int:
        """Frames the link between ``a`` and ``b`` has dropped so far in the
        direction a -> b, as its realizer (the relay, or netem) counts them."""
        return self._run.net.link_control.dropped(a, b)
