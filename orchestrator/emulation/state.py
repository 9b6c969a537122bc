"""What a run has put on the machine, recorded as it happens, so teardown can
be verified and `applab clean` can remove what a crashed run left behind."""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from orchestrator.emulation.cluster.machines import Machine, Worker, WorkerError
from orchestrator.emulation.commands import run_root
from orchestrator.emulation.sandbox import remove_cgroup_dirs

STATE_ROOT = Path(os.environ.get("APPLAB_STATE_DIR", "/run/applab"))
# Private directories of daemons that drop root (see ScenarioRun.home).
RUNTIME_HOMES = STATE_ROOT / "homes"
# Command-line marks of the processes a run starts, to guard against pid reuse.
SHELL_MARK = "mininet:"
RELAY_MARK = "orchestrator.emulation.links.relay"


@contextlib.contextmanager
def flocked(path: Path, on_wait=None):
    """``path``'s exclusive lock, for the block's length (made if missing);
    ``on_wait()`` is called first if another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                on_wait()
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@dataclass
class RunState:
    path: Path

    @classmethod
    def create(cls, run_dir: Path, switches: list[str]) -> RunState:
        path = STATE_ROOT / f"{os.getpid()}-{time.time_ns()}"
        path.mkdir(parents=True)
        (path / "run.json").write_text(json.dumps(
            {"run_dir": str(run_dir), "owner": os.getpid(),
             "owner_started": psutil.Process().create_time(), "switches": switches}))
        (path / "pids").touch()
        return cls(path)

    @property
    def info(self) -> dict:
        return json.loads((self.path / "run.json").read_text())

    @property
    def owner_alive(self) -> bool:
        """Is the process that made the run still running it?"""
        info = self.info
        return running_since(info["owner"]) == info.get("owner_started")

    def record_runtime_dir(self, path: Path) -> None:
        """A runtime directory of the run's (its daemons' homes)."""
        with open(self.path / "runtime_dirs", "a") as dirs:
            dirs.write(f"{path}\n")

    def runtime_dirs(self) -> list[Path]:
        path = self.path / "runtime_dirs"
        return [Path(line) for line in path.read_text().splitlines()] if path.exists() else []

    def record(self, kind: str, pid: int, mark: str) -> None:
        """``mark``: a word of the process's command line, checked before
        anything is killed, so a reused pid is left alone."""
        with open(self.path / "pids", "a") as pids:
            pids.write(f"{kind} {pid} {mark.split()[0] if mark.strip() else '-'}\n")

    def record_sysctl(self, path: str, original: str) -> None:
        """A root-namespace setting the run is about to change, and its value
        before, so a killed run's changes can be undone."""
        with open(self.path / "sysctls", "a") as sysctls:
            sysctls.write(json.dumps([path, original]) + "\n")

    def sysctls(self) -> dict[str, str]:
        """Each changed setting's original value (the first one recorded)."""
        found: dict[str, str] = {}
        path = self.path / "sysctls"
        for line in path.read_text().splitlines() if path.exists() else []:
            setting, original = json.loads(line)
            found.setdefault(setting, original)
        return found

    def record_cgroups(self, dirs: list[Path]) -> None:
        """A sandbox's cgroup directories, made next."""
        with open(self.path / "cgroups", "a") as cgroups:
            cgroups.write("".join(f"{d}\n" for d in dirs))

    def cgroups(self) -> list[Path]:
        path = self.path / "cgroups"
        return [Path(line) for line in path.read_text().splitlines()] if path.exists() else []

    def record_machine(self, machine: dict, plan: dict) -> None:
        """A worker's share of the run: what its sweep must remove (cluster.sweep)."""
        with open(self.path / "machines", "a") as machines:
            machines.write(json.dumps({"machine": machine, "plan": plan}) + "\n")

    def machines(self) -> list[dict]:
        path = self.path / "machines"
        return [json.loads(line) for line in path.read_text().splitlines()] \
            if path.exists() else []

    def pids(self) -> list[tuple[str, int, str]]:
        words = (self.path / "pids").read_text().split()
        return [(kind, int(pid), mark)
                for kind, pid, mark in zip(words[::3], words[1::3], words[2::3], strict=False)]

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def all_states() -> list[RunState]:
    if not STATE_ROOT.is_dir():
        return []
    return [RunState(p) for p in sorted(STATE_ROOT.iterdir()) if (p / "run.json").exists()]


def runtime_homes() -> list[Path]:
    return sorted(RUNTIME_HOMES.iterdir()) if RUNTIME_HOMES.is_dir() else []


def running_since(pid: int) -> float | None:
    """When process ``pid`` started (to tell a reused pid), or None if it has
    ended. A killed one may stay a zombie a while, until whoever adopted it
    reaps it: it has ended."""
    try:
        proc = psutil.Process(pid)
        return None if proc.status() == psutil.STATUS_ZOMBIE else proc.create_time()
    except psutil.Error:
        return None


def _alive(pid: int, mark: str) -> psutil.Process | None:
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        if mark in " ".join(proc.cmdline()):
            return proc
    except psutil.Error:
        pass
    return None


def root_links() -> list[str]:
    out = run_root(["ip", "-o", "link", "show"]).stdout
    return [m.group(1).split("@")[0] for m in re.finditer(r"^\d+: ([^:]+):", out, re.MULTILINE)]


def _switch_links(switches: list[str]) -> list[str]:
    names = "|".join(re.escape(s) for s in switches)
    pattern = re.compile(rf"^({names})(-eth\d+)?$")
    return [name for name in root_links() if switches and pattern.match(name)]


def leftovers(run_state: RunState) -> list[str]:
    """Processes, bridges and interfaces of this run that still exist."""
    found = [f"{kind} pid {pid} ({mark})" for kind, pid, mark in run_state.pids()
             if _alive(pid, mark)]
    found += [f"interface {name}" for name in _switch_links(run_state.info["switches"])]
    found += [f"cgroup {d}" for d in run_state.cgroups() if d.is_dir()]
    return found


def sweep_machines(run_state: RunState) -> list[str]:
    """Each worker's share of the run, removed there over SSH."""
    removed = []
    for share in run_state.machines():
        machine = Machine.from_record(share["machine"])
        try:
            worker = Worker(machine)
        except WorkerError as exc:  # the rest is cleaned all the same
            removed.append(f"nothing on {machine.name}, not reached ({exc}): sweep it by hand")
            continue
        try:
            done = worker.sweep(share["plan"])
        finally:
            worker.close()
        removed += [f"process {pid} on {machine.name}" for pid in done["killed"]]
        removed += [f"interface {name} on {machine.name}" for name in done["deleted"]]
    return removed


def restore_sysctls(run_state: RunState) -> list[str]:
    """Put back the root-namespace settings the run changed."""
    restored = []
    for path, original in run_state.sysctls().items():
        if Path(path).read_text().strip() != original:
            Path(path).write_text(original + "\n")
            restored.append(f"setting {path} = {original}")
    return restored


def clean(run_state: RunState) -> list[str]:
    """Kill this run's processes, delete its bridges and interfaces, and
    restore the settings it changed."""
    removed = []
    for kind, pid, mark in run_state.pids():
        proc = _alive(pid, mark)
        if proc:
            # Shells and the processes started in hosts lead their own process
            # groups: killing the group takes a daemon's children too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL) if os.getpgid(pid) == pid else proc.kill()
            removed.append(f"{kind} pid {pid}")
    for name in _switch_links(run_state.info["switches"]):
        run_root(["ovs-vsctl", "--if-exists", "del-br", name], check=False)
        run_root(["ip", "link", "del", name], check=False)
        removed.append(f"interface {name}")
    removed += remove_cgroup_dirs(run_state.cgroups())
    removed += sweep_machines(run_state)
    removed += restore_sysctls(run_state)
    run_state.remove()
    return removed
