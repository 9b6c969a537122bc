"""Where each service and workload run keeps its files, and what it may know."""
from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.emulation import state
from orchestrator.emulation.sandbox import CHECKOUT
from orchestrator.experiment.spec import ResolvedSpec
from services.base import HostContext
from topologies.names import Names


def _not_files(folder: str, names: list[str]) -> set[str]:
    base = Path(folder)
    return {n for n in names if not (base / n).is_file() and not (base / n).is_dir()}


# A run's runtime directory is named by this many hex digits of its identity.
RUNTIME_ID_CHARS = 12


@dataclass
class Contexts:
    spec: ResolvedSpec
    run_dir: Path
    addresses: dict[str, str]
    names: Names | None = None
    homes: dict[str, Path] = field(default_factory=dict)  # started services' homes
    # What sandboxed programs may not see beyond what no sandbox shows
    # (sandbox.ALWAYS_HIDDEN): other students' submissions, say.
    hidden: tuple[Path, ...] = ()

    @property
    def sandbox_hidden(self) -> list[Path]:
        """The checkout, every run's results (this one's other hosts' too),
        the runtime directory, and what the run was told to hide."""
        return [CHECKOUT, self.run_dir.resolve().parent.parent, state.STATE_ROOT,
                *self.hidden]

    def make(self, name: str, host: str, params: dict, role=None) -> HostContext:
        in_runtime = role is not None and (
            getattr(role, "user", None) is not None or getattr(role, "runtime_home", False))
        return HostContext(name=name, host=host, ip=self.addresses.get(host, ""),
                           home=self.home(host, name, in_runtime), params=params,
                           addresses=self.addresses,
                           services={n: s.host for n, s in self.spec.services.items()},
                           seed=self.spec.seed, homes=dict(self.homes), names=self.names,
                           resolver=self.spec.dns.resolver_of(host) if self.names else None)

    def home(self, host: str, name: str, in_runtime: bool) -> Path:
        """A private directory: under the results, or under the runtime
        directory for a daemon that drops to other users (the results may sit
        below a directory only root may enter) or opens UNIX sockets (whose
        paths are short); ``keep`` copies it back."""
        if not in_runtime:
            return self.results_home(host, name)
        return self.runtime_dir / host / name

    def results_home(self, host: str, name: str) -> Path:
        return self.run_dir / "hosts" / host / name

    @property
    def runtime_dir(self) -> Path:
        """Short, whatever the run's and scenario's names: daemons open UNIX
        sockets below it, whose paths may not exceed 107 bytes."""
        run = f"{self.run_dir.resolve()}-{self.spec.scenario}"
        return state.RUNTIME_HOMES / hashlib.sha256(run.encode()).hexdigest()[:RUNTIME_ID_CHARS]

    @staticmethod
    def write_config(role, ctx: HostContext, node) -> None:
        """The role's files, given to its users as ``node`` knows them (a
        container host's image has its own user ids)."""
        ctx.home.mkdir(parents=True, exist_ok=True)
        for path, content in role.config(ctx).items():
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        owners = role.owners(ctx) if hasattr(role, "owners") else (
            {ctx.home: role.user} if getattr(role, "user", None) else {})
        for top, user in owners.items():
            top.mkdir(parents=True, exist_ok=True)
            uid = node.user_id(user)
            for path in [top, *top.rglob("*")]:
                os.chown(path, uid, -1)
        node.push(ctx.home)    # to the host's machine, if that is a worker

    @staticmethod
    def fetch(ctx: HostContext, node) -> None:
        """What the host's programs wrote, from its machine if that is a worker."""
        node.pull(ctx.home)

    def keep(self, ctx: HostContext) -> None:
        """Copy a runtime home into the results: its files, not its sockets
        and pipes."""
        target = self.results_home(ctx.host, ctx.name)
        if ctx.home != target:
            shutil.copytree(ctx.home, target, dirs_exist_ok=True, ignore=_not_files)

    def remove_runtime(self) -> None:
        shutil.rmtree(self.runtime_dir, ignore_errors=True)
