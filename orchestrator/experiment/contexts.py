"""Where each service and workload run keeps its files, and what it may know."""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.emulation import state
from orchestrator.experiment.spec import ResolvedSpec
from services.base import HostContext
from topologies.names import Names


@dataclass
class Contexts:
    spec: ResolvedSpec
    run_dir: Path
    addresses: dict[str, str]
    names: Names | None = None
    homes: dict[str, Path] = field(default_factory=dict)  # started services' homes

    def make(self, name: str, host: str, params: dict, user: str | None = None) -> HostContext:
        return HostContext(name=name, host=host, ip=self.addresses.get(host, ""),
                           home=self.home(host, name, user), params=params,
                           addresses=self.addresses,
                           services={n: s.host for n, s in self.spec.services.items()},
                           seed=self.spec.seed, homes=dict(self.homes), names=self.names,
                           resolver=self.spec.dns.resolver if self.names else None)

    def home(self, host: str, name: str, user: str | None) -> Path:
        """A private directory: under the results, or, for a daemon that drops
        to another user, under the runtime directory (the results may sit
        below a directory only root may enter); ``keep`` copies it back."""
        if user is None:
            return self.results_home(host, name)
        return self.runtime_dir / host / name

    def results_home(self, host: str, name: str) -> Path:
        return self.run_dir / "hosts" / host / name

    @property
    def runtime_dir(self) -> Path:
        return state.RUNTIME_HOMES / f"{self.run_dir.parent.name}-{self.spec.scenario}"

    @staticmethod
    def write_config(role, ctx: HostContext) -> None:
        ctx.home.mkdir(parents=True, exist_ok=True)
        for path, text in role.config(ctx).items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        if role.user:
            for path in [ctx.home, *ctx.home.rglob("*")]:
                shutil.chown(path, user=role.user)

    def keep(self, ctx: HostContext) -> None:
        """Copy a runtime home into the results."""
        target = self.results_home(ctx.host, ctx.name)
        if ctx.home != target:
            shutil.copytree(ctx.home, target, dirs_exist_ok=True)

    def remove_runtime(self) -> None:
        shutil.rmtree(self.runtime_dir, ignore_errors=True)
