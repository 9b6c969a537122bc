"""How a service's or workload's program starts on its host: as any command,
or, for a role that asks for it (a student's program), in a sandbox."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from orchestrator.emulation.commands import start_program
from orchestrator.emulation.sandbox import Sandbox
from services.base import BEGIN_TOGETHER_ENV, HostContext


@dataclass
class Launched:
    proc: object
    sandbox: Sandbox | None = None

    def limits_hit(self, role) -> list[str]:
        """Which of its sandbox's limits stopped it (none without a sandbox)."""
        if self.sandbox is None:
            return []
        return self.sandbox.limits_hit(self.proc.poll(), role.timed_out_status)

    def finish(self) -> None:
        """Its sandbox's files back in its home, its limits removed."""
        if self.sandbox is not None:
            self.sandbox.finish()


def launch(net, role, ctx: HostContext, hidden: list[Path], log_mode: str,
           begin_together: bool = False) -> Launched:
    """Start ``role``'s command for ``ctx`` on its host, its output in its
    home's stdout.log and stderr.log (opened with ``log_mode``). A host on
    another machine runs it as any command: sandboxes are made here only.
    ``begin_together``: its program stops itself once set up, to be
    continued with the others (``waiting.continue_when_stopped``)."""
    limits = role.sandbox_limits(ctx)
    if limits is not None and getattr(net[ctx.host], "isRemote", False):
        net.say(f"  {ctx.name} on {ctx.host} runs without a sandbox: its host is on a worker, "
            "and sandboxes are made on this machine only")
        limits = None
    sandbox = net.sandbox(ctx.host, ctx.name, ctx.home, limits, hidden) \
        if limits is not None else None
    logs = {name: open(ctx.path(f"{name}.log"), log_mode) for name in ("stdout", "stderr")}
    try:
        argv = role.command(ctx)
        together = {"env": {**os.environ, BEGIN_TOGETHER_ENV: "1"}} if begin_together else {}
        proc = sandbox.popen(argv, **logs) if sandbox else \
            start_program(net[ctx.host], argv, **logs, **together)
    finally:
        for handle in logs.values():
            handle.close()
    return Launched(proc, sandbox)
