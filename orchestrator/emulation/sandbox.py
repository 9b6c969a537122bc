"""The sandbox a `program` runs in: students' programs, reference programs
and instructors' servers alike.

- Who: an unprivileged user made for it (``SANDBOX_USER``), with no
  capabilities but those its spec grants (``net_raw`` for an ICMP pinger).
  It keeps its host's network namespace, but cannot change its interfaces,
  routes or qdiscs.
- What it sees: bubblewrap gives it a mount namespace of its own with the
  machine's (or its container's) files read-only; ``/root``, ``/home``,
  ``/tmp``, applab's runtime directory, the checkout and the results are
  replaced by empty directories. Its working directory, at its home's path,
  is a size-limited tmpfs mounted in its host's mount namespace, filled from
  its home before it starts and copied back when it has ended. A PID
  namespace of its own: ``kill -9 -1`` reaches only itself.
- Its limits (services.base.SandboxLimits): a cgroup (v1 or v2) of memory,
  tasks and CPU, and the tmpfs's size. After it ends, ``limits_hit`` says
  which stopped it.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import pwd
import shutil
import signal
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator.emulation.commands import run_in, start_in
from orchestrator.emulation.waiting import wait_until
from orchestrator.errors import AppLabError

if TYPE_CHECKING:
    from services.base import SandboxLimits

SANDBOX_USER = "applab-sandbox"
# The PATH a sandboxed program gets: the machine's own programs (the PATH
# applab runs with may lead into /root, which it cannot see).
SANDBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Hidden whatever the run: other users' files and every scratch directory.
SCRATCH = ("/tmp", "/var/tmp", "/dev/shm")
ALWAYS_HIDDEN = ("/root", "/home", *SCRATCH)
# The checkout: the instructor's files, other assignments' solutions.
CHECKOUT = Path(__file__).resolve().parents[2]
# What its home keeps that the program must not touch: the orchestrator
# writes these, outside the sandbox.
LOGS = ("stdout.log", "stderr.log")
# A cgroup's processes, once killed, are gone within this long.
CGROUP_EMPTY_TIMEOUT_S = 5.0
CPU_PERIOD_US = 100_000
CGROUP_PARENT = "applab"
CONTROLLERS = ("memory", "pids", "cpu")
class SandboxError(AppLabError):
    """A sandbox that cannot be made here as asked."""


def within(limits: SandboxLimits, memory_bytes: int | None,
           cpus: float | None) -> SandboxLimits:
    """``limits`` lowered to a host's own (a container's): a program in its
    own cgroup is held to both."""
    memory_mb = limits.memory_mb if memory_bytes is None else \
        min(limits.memory_mb, max(1, memory_bytes // 2 ** 20))
    return dataclasses.replace(limits, memory_mb=memory_mb,
                               cpus=limits.cpus if cpus is None else min(limits.cpus, cpus))


# Cgroups

@dataclass(frozen=True)
class Hierarchy:
    """Where a controller's cgroups are: ``version`` 1 (one mount per
    controller set) or 2 (one for all)."""

    controller: str
    mountpoint: Path
    version: int


def cgroup_mounts(mountinfo: str) -> list[tuple[str, set[str], Path, str]]:
    """The cgroup file systems of /proc/self/mountinfo: (type, its options,
    where it is mounted, the subtree it shows)."""
    found = []
    for line in mountinfo.splitlines():
        left, _, right = line.partition(" - ")
        fields, (fstype, _, options) = left.split(), right.split()[:3]
        if fstype in ("cgroup", "cgroup2"):
            found.append((fstype, set(options.split(",")), Path(fields[4]), fields[3]))
    return found


def hierarchies(mountinfo: str, v2_controllers: set[str]) -> dict[str, Hierarchy]:
    """Each of CONTROLLERS's hierarchy from /proc/self/mountinfo: v1 where a
    v1 hierarchy has it, else v2 (whose root offers ``v2_controllers``)."""
    found: dict[str, Hierarchy] = {}
    v2_mount = None
    for fstype, options, mountpoint, _ in cgroup_mounts(mountinfo):
        if fstype == "cgroup":
            for controller in options & set(CONTROLLERS):
                found.setdefault(controller, Hierarchy(controller, mountpoint, 1))
        else:
            v2_mount = mountpoint
    for controller in CONTROLLERS:
        if controller not in found and v2_mount is not None and controller in v2_controllers:
            found[controller] = Hierarchy(controller, v2_mount, 2)
    return found


def limit_files(limits: SandboxLimits, version: int) -> dict[str, dict[str, str]]:
    """The files of each controller that hold ``limits``, with their values."""
    memory = str(limits.memory_mb * 2 ** 20)
    quota = str(round(limits.cpus * CPU_PERIOD_US))
    if version == 1:
        return {"memory": {"memory.limit_in_bytes": memory,
                           "memory.memsw.limit_in_bytes": memory},
                "pids": {"pids.max": str(limits.tasks)},
                "cpu": {"cpu.cfs_period_us": str(CPU_PERIOD_US), "cpu.cfs_quota_us": quota}}
    return {"memory": {"memory.max": memory, "memory.swap.max": "0"},
            "pids": {"pids.max": str(limits.tasks)},
            "cpu": {"cpu.max": f"{quota} {CPU_PERIOD_US}"}}


def counters(text: str) -> dict[str, int]:
    """``key value`` lines (memory.events, pids.events, memory.oom_control)."""
    found = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        with contextlib.suppress(ValueError):
            found[key] = int(value)
    return found


def hit_by_counters(memory_events: str, pids_events: str) -> list[str]:
    """Which of memory and tasks stopped something, from memory.events (v2)
    or memory.oom_control (v1), and pids.events."""
    hit = []
    if counters(memory_events).get("oom_kill", 0) > 0:
        hit.append("memory")
    if counters(pids_events).get("max", 0) > 0:
        hit.append("tasks")
    return hit


class Cgroup:
    """One sandbox's cgroup, in each controller's hierarchy."""

    def __init__(self, name: str, limits: SandboxLimits):
        mountinfo = Path("/proc/self/mountinfo").read_text()
        found = hierarchies(mountinfo, self._v2_controllers(mountinfo))
        missing = [c for c in CONTROLLERS if c not in found]
        if missing:
            raise SandboxError(f"no cgroup controller {', '.join(missing)} on this machine: "
                               "a sandbox's limits need memory, pids and cpu")
        self.name, self.hierarchies, self.limits = name, found, limits
        self.dirs = sorted({h.mountpoint / CGROUP_PARENT / name for h in found.values()})

    @staticmethod
    def _v2_controllers(mountinfo: str) -> set[str]:
        for fstype, _, mountpoint, _ in cgroup_mounts(mountinfo):
            if fstype == "cgroup2" and (mountpoint / "cgroup.controllers").exists():
                return set((mountpoint / "cgroup.controllers").read_text().split())
        return set()

    def create(self) -> None:
        for hierarchy in self.hierarchies.values():
            parent = hierarchy.mountpoint / CGROUP_PARENT
            if hierarchy.version == 2:
                # A v2 cgroup's controllers are those its parent passes down.
                for directory in (hierarchy.mountpoint, parent):
                    directory.mkdir(exist_ok=True)
                    self._write(directory / "cgroup.subtree_control", f"+{hierarchy.controller}")
            parent.mkdir(exist_ok=True)
        for directory in self.dirs:
            directory.mkdir(exist_ok=True)
        for controller, hierarchy in self.hierarchies.items():
            directory = self._dir_of(controller)
            for name, value in limit_files(self.limits, hierarchy.version)[controller].items():
                if (directory / name).exists():  # memsw / swap: only with swap accounting
                    self._write(directory / name, value)

    def _dir_of(self, controller: str) -> Path:
        return self.hierarchies[controller].mountpoint / CGROUP_PARENT / self.name

    @staticmethod
    def _write(path: Path, value: str) -> None:
        try:
            path.write_text(value)
        except OSError as exc:
            raise SandboxError(f"cannot set {path} to {value!r}: {exc.strerror}") from None

    def join(self) -> None:
        """Put the calling process in the cgroup (a child before it execs)."""
        for directory in self.dirs:
            (directory / "cgroup.procs").write_text(str(os.getpid()))

    def limits_hit(self) -> list[str]:
        memory = self._dir_of("memory")
        events = memory / ("memory.events" if self.hierarchies["memory"].version == 2
                           else "memory.oom_control")
        pids_events = self._dir_of("pids") / "pids.events"
        read = [p.read_text() if p.exists() else "" for p in (events, pids_events)]
        return hit_by_counters(*read)

    def kill(self) -> None:
        """SIGKILL whatever is in it, and wait until it is empty."""
        kill_members(self.dirs, f"sandbox cgroup {self.name}")

    def remove(self) -> None:
        """Kill what is left in it, then remove it."""
        remove_cgroup_dirs(self.dirs)


def members(dirs: list[Path]) -> set[int]:
    """The processes in the cgroups ``dirs`` (those that exist)."""
    found = set()
    for directory in dirs:
        with contextlib.suppress(OSError):
            found |= {int(p) for p in (directory / "cgroup.procs").read_text().split()}
    return found


def kill_members(dirs: list[Path], what: str) -> None:
    for pid in members(dirs):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not members(dirs), CGROUP_EMPTY_TIMEOUT_S, f"{what} empty")


def remove_cgroup_dirs(dirs: list[Path]) -> list[str]:
    """Kill what is in the cgroups ``dirs``, then remove them (also `applab
    clean`'s part: a killed run's sandboxes); what was removed."""
    existing = [d for d in dirs if d.is_dir()]
    kill_members(existing, f"cgroups {', '.join(map(str, existing))}")
    for directory in existing:
        directory.rmdir()
    return [f"cgroup {d}" for d in existing]


# The command

def uid_gid(user: str = SANDBOX_USER) -> tuple[int, int]:
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise SandboxError(f"no user {user!r} here: scripts/install.sh makes it") from None
    return entry.pw_uid, entry.pw_gid


def hidden_order(paths: list[Path], root: Path) -> list[Path]:
    """The directories to hide, shallowest first, without those inside
    another (already hidden): the ones that exist below ``root``."""
    kept: list[Path] = []
    for path in sorted({Path(p) for p in paths}, key=lambda p: (len(p.parts), str(p))):
        if any(path.is_relative_to(k) for k in kept):
            continue
        if (root / path.relative_to("/")).is_dir() and path != Path("/"):
            kept.append(path)
    return kept


def bwrap_argv(argv: list[str], *, root: str, workdir: Path, home: Path, hidden: list[Path],
               uid: int, gid: int, limits: SandboxLimits) -> list[str]:
    """The command that runs ``argv`` sandboxed: bubblewrap makes the mount
    and PID namespaces (it runs as root, so it keeps the host's network
    namespace and needs no user namespace), then setpriv becomes the
    sandbox's user with only the granted capabilities."""
    command = ["bwrap", "--ro-bind", root, "/", "--dev", "/dev", "--proc", "/proc"]
    for path in hidden:
        # Scratch directories are its to write, within its disk limit.
        size = ["--size", str(limits.disk_mb * 2 ** 20)] if str(path) in SCRATCH else []
        command += ["--perms", "1777" if size else "0755", *size, "--tmpfs", str(path)]
    # Its home's parents inside a hidden directory, passable but empty.
    for parent in reversed(home.parents):
        if any(parent.is_relative_to(h) and parent != h for h in hidden):
            command += ["--perms", "0755", "--dir", str(parent)]
    command += ["--bind", str(workdir), str(home), "--chdir", str(home),
                "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent",
                "--new-session", "--clearenv", "--setenv", "PATH", SANDBOX_PATH,
                "--setenv", "HOME", str(home), "--setenv", "LANG", "C.UTF-8",
                "--setenv", "USER", SANDBOX_USER]
    caps = ",".join(f"+{c}" for c in limits.capabilities)
    command += ["--", "setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
                "--inh-caps=-all" + (f",{caps}" if caps else ""),
                *([f"--ambient-caps={caps}"] if caps else []),
                "--bounding-set=-all" + (f",{caps}" if caps else ""), "--", *argv]
    return command


class Sandbox:
    """One program's sandbox on ``node``: ``prepare``, then ``popen``, then
    (always) ``finish``."""

    def __init__(self, node, name: str, home: Path, workdir: Path, limits: SandboxLimits,
                 hidden: list[Path]):
        self.node, self.name, self.home, self.workdir = node, name, Path(home), Path(workdir)
        self.limits = within(limits, *node.resource_ceiling())
        self.root = node.sandbox_root
        self.hidden = hidden_order([*map(Path, ALWAYS_HIDDEN), *hidden], Path(self.root))
        self.uid, self.gid = uid_gid()
        self.cgroup = Cgroup(name, limits)
        self._mounted = False
        self._full = False
        self._hit: list[str] | None = None   # once finished: what its cgroup counted

    @property
    def live_workdir(self) -> Path:
        """The tmpfs as the root namespace reaches it: through the host's root."""
        return Path(f"/proc/{self.node.pid}/root") / self.workdir.relative_to("/")

    def prepare(self) -> None:
        """Its cgroup and its working directory, filled from its home."""
        self.cgroup.create()
        self.workdir.mkdir(parents=True, exist_ok=True)
        run_in(self.node, ["mount", "-t", "tmpfs", "-o",
                           f"size={self.limits.disk_mb}m,mode=0700,uid={self.uid},"
                           f"gid={self.gid}", f"applab-sandbox-{self.name}", str(self.workdir)])
        self._mounted = True
        # Ports below 1024 are the host's to give: its servers run unprivileged.
        run_in(self.node, ["sysctl", "-q", "-w", "net.ipv4.ip_unprivileged_port_start=0"])
        shutil.copytree(self.home, self.live_workdir, dirs_exist_ok=True,
                        ignore=lambda folder, names: [n for n in names if n in LOGS])
        for path in [self.live_workdir, *self.live_workdir.rglob("*")]:
            os.lchown(path, self.uid, self.gid)

    def argv(self, argv: list[str]) -> list[str]:
        return bwrap_argv(argv, root=self.root, workdir=self.workdir, home=self.home,
                          hidden=self.hidden, uid=self.uid, gid=self.gid, limits=self.limits)

    def popen(self, argv: list[str], **kwargs):
        """Start ``argv`` in the sandbox, in its cgroup from the first instruction."""
        return start_in(self.node, self.argv(argv), preexec_fn=self.cgroup.join, **kwargs)

    def limits_hit(self, returncode: int | None, timed_out_status: int) -> list[str]:
        """Which of its limits stopped it: memory, tasks, disk, time."""
        hit = list(self._hit if self._hit is not None else self.cgroup.limits_hit())
        if self._full or (self._mounted and self._disk_full()):
            hit.append("disk")
        if returncode == timed_out_status:
            hit.append("time")
        return hit

    def _disk_full(self) -> bool:
        try:
            usage = os.statvfs(self.live_workdir)
        except OSError:
            return False
        return usage.f_bavail == 0

    def finish(self) -> None:
        """Stop what is left of it, copy back what it wrote (files and
        folders; not its links, pipes or devices), then remove its cgroup
        and its tmpfs. Once; its limits hit are kept."""
        if self._hit is not None:
            return
        try:
            self.cgroup.kill()
            self._hit = self.cgroup.limits_hit()
            if self._mounted:
                self._full = self._disk_full()
                copy_back(self.live_workdir, self.home)
        finally:
            self._hit = self._hit or []
            self.cgroup.remove()
            if self._mounted:
                run_in(self.node, ["umount", str(self.workdir)], check=False)
                self._mounted = False
                with contextlib.suppress(OSError):
                    self.workdir.rmdir()


def copy_back(source: Path, target: Path) -> None:
    """Regular files and folders only: a link the program made to
    /etc/shadow must not be followed by root."""
    for path in sorted(source.rglob("*")):
        mode = path.lstat().st_mode
        out = target / path.relative_to(source)
        if path.name in LOGS and path.parent == source:
            continue
        if stat.S_ISDIR(mode):
            out.mkdir(parents=True, exist_ok=True)
        elif stat.S_ISREG(mode):
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, out, follow_symlinks=False)
