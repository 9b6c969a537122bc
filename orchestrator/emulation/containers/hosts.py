"""Container hosts: a Docker container (its own image, filesystem and
resource limits, no network of Docker's) whose network namespace is the
host's. The container starts first; the host's Mininet shell then enters
that namespace, so Mininet puts the host's link ends there like any host's,
and links, realizers, addresses and routes behave as for any host. The
shell itself runs this machine's tools (ip, tc): the image needs no shell.
"""
from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from orchestrator.emulation.containers.images import LABEL
from orchestrator.emulation.nodes import AppHost
from orchestrator.emulation.sandbox import cgroup_mounts
from orchestrator.errors import AppLabError

log = logging.getLogger("applab.containers")

# Keeps a container with no command of its own running; docker's init
# (``init=True``) reaps what its processes leave.
KEEP_RUNNING = ["sleep", "infinity"]
NO_RESOLVER = "# this run has no DNS: no name server\n"


class ContainerError(AppLabError):
    """A container host the engine would not make as asked."""


@dataclass(frozen=True)
class ContainerSpec:
    """What a spec says of a container host: its image's recipe, its limits
    (CPUs as a fraction of cores, memory as Docker writes it: 256m), and
    the command it runs (None: the image's own, or nothing but staying up)."""

    image: str
    cpus: float | None = None
    memory: str | None = None
    cmd: tuple[str, ...] | None = None


def start_container(client, name: str, spec: ContainerSpec, tag: str, run_label: str,
                    mounts: list[str]):
    """The running container for host ``name`` from the image ``tag``,
    labelled for its run; ``mounts``: directories it sees at the same paths
    (the run's files)."""
    import docker

    image = client.images.get(tag)
    command = list(spec.cmd) if spec.cmd is not None else \
        (None if image.attrs["Config"].get("Cmd") or image.attrs["Config"].get("Entrypoint")
         else KEEP_RUNNING)
    try:
        container = client.containers.run(
            tag, command, detach=True, network_mode="none", init=True,
            name=f"applab-{run_label}-{name}", hostname=name,
            labels={LABEL: "container", f"{LABEL}.run": run_label, f"{LABEL}.host": name},
            nano_cpus=int(spec.cpus * 1e9) if spec.cpus else None,
            mem_limit=spec.memory, volumes={m: {"bind": m, "mode": "rw"} for m in mounts})
    except docker.errors.APIError as exc:
        raise ContainerError(f"host {name}: the engine refused the container: "
                             f"{exc.explanation or exc}") from exc
    container.reload()
    if container.status != "running":
        logs = container.logs(tail=5).decode(errors="replace").strip()
        container.remove(force=True)
        raise ContainerError(f"host {name}: its container exited at once: {logs or '(no output)'}")
    # Docker gave it a copy of this machine's resolv.conf: nothing in it may
    # ask this machine's resolver (a run with DNS gives it its own: use_resolv_conf).
    Path(container.attrs["ResolvConfPath"]).write_text(NO_RESOLVER)
    missing = unapplied_limits(spec, container_cgroups(container.attrs["State"]["Pid"]))
    if missing:
        container.remove(force=True)
        raise ContainerError(f"host {name}: the engine started the container without "
                             f"{' and '.join(missing)} (no such cgroup controller here?)")
    return container


def container_cgroups(pid: int) -> list[Path]:
    """The cgroup directories of a container's process."""
    return [f.parent for f in cgroup_files(Path(f"/proc/{pid}/cgroup").read_text(),
                                           Path("/proc/self/mountinfo").read_text())]


def unapplied_limits(spec: ContainerSpec, cgroups: list[Path]) -> list[str]:
    """The limits of ``spec`` that the cgroups do not hold (v1 or v2 files)."""
    def value(*names: str) -> str | None:
        for directory in cgroups:
            for name in names:
                if (directory / name).exists():
                    return (directory / name).read_text().strip()
        return None

    missing = []
    if spec.cpus:
        v2, v1 = value("cpu.max"), value("cpu.cfs_quota_us")
        if not ((v2 and not v2.startswith("max")) or (v1 and int(v1) > 0)):
            missing.append(f"its CPU limit ({spec.cpus:g})")
    if spec.memory:
        limit = value("memory.max", "memory.limit_in_bytes")
        if limit is None or limit == "max" or int(limit) >= 2 ** 62:
            missing.append(f"its memory limit ({spec.memory})")
    return missing


def cgroup_files(process_cgroups: str, mountinfo: str) -> list[Path]:
    """The ``cgroup.procs`` files of the cgroups a process is in (the text
    of its /proc/PID/cgroup), on this machine's mounts (/proc/self/mountinfo):
    cgroup v1 (a hierarchy per controller set) and v2 (one) alike."""
    # (the mount's options, v1; where it is mounted; the subtree it shows)
    hierarchies = [(options if fstype == "cgroup" else None, str(mountpoint), root)
                   for fstype, options, mountpoint, root in cgroup_mounts(mountinfo)]
    files = []
    for line in process_cgroups.splitlines():
        _, controllers, path = line.split(":", 2)
        # v1: the hierarchy mounted with these controllers among its options; v2: the one.
        wanted = set(controllers.split(",")) if controllers else None
        for options, mountpoint, root in hierarchies:
            if (wanted is None and options is None) or \
                    (wanted is not None and options is not None and wanted <= options):
                inside = path[len(root):] if root != "/" and path.startswith(root) else path
                files.append(Path(mountpoint) / inside.lstrip("/") / "cgroup.procs")
                break
    return files


class ContainerHost(AppHost):
    """A host that is a container (``container``, a running one from
    ``start_container``). Its programs (``program_popen``: services and
    workloads) run inside the container, with the image's programs and
    files, in its cgroups (its limits); the run's own files are mounted
    there at the same paths. Each is started as ``docker exec`` starts a
    process, by entering the container's namespaces and cgroups (nsenter),
    but from here: it is then a process of the run like any host's, stopped
    with its process group, where a process that the engine started for
    ``docker exec`` outlives its client. The emulation's own commands
    (``popen``: ip, tc, ss) run this machine's tools in its namespace."""

    def __init__(self, name, container=None, **params):
        self.container = container
        self.container_pid = container.attrs["State"]["Pid"]
        super().__init__(name, **params)

    def _popen(self, cmd, **params):
        if self.shell is None and cmd[:1] == ["mnexec"]:
            # Mininet starting the host's shell: not in a new network namespace
            # (mnexec's n) but in the container's, with a mount namespace of
            # its own (a resolv.conf bind mount stays there) whose /sys shows
            # the container's interfaces, as mnexec -n would make.
            options = cmd[1].replace("n", "")
            cmd = ["mnexec", options, "nsenter", f"--net=/proc/{self.container_pid}/ns/net",
                   "unshare", "--mount", "--propagation", "private",
                   "sh", "-c", 'mount -t sysfs sysfs /sys && exec "$@"', "sh", *cmd[2:]]
        return super()._popen(cmd, **params)

    def interfaces_go_with_it(self) -> bool:
        return False    # its namespace is the container's, removed after the network

    def program_popen(self, argv: list[str], **kwargs):
        inside = ["nsenter", "--target", str(self.container_pid), "--mount", "--uts", "--ipc",
                  "--net", "--pid", "--", *argv]
        return self.popen(inside, preexec_fn=self._join_cgroups, **kwargs)

    @property
    def sandbox_root(self) -> str:
        """A sandboxed program sees its image's files (the run's mounts too)."""
        return f"/proc/{self.container_pid}/root"

    def resource_ceiling(self) -> tuple[int | None, float | None]:
        """Its container's memory and CPU limits (None where it has none)."""
        config = self.container.attrs["HostConfig"]
        return (config.get("Memory") or None,
                config["NanoCpus"] / 1e9 if config.get("NanoCpus") else None)

    def _join_cgroups(self) -> None:
        """In the child, before it becomes the program: the container's cgroups."""
        files = cgroup_files(Path(f"/proc/{self.container_pid}/cgroup").read_text(),
                             Path("/proc/self/mountinfo").read_text())
        for path in files:
            path.write_text(str(os.getpid()))

    def use_resolv_conf(self, path: Path) -> None:
        """``path``'s text in the container's /etc/resolv.conf (Docker's own
        file, mounted there)."""
        Path(self.container.attrs["ResolvConfPath"]).write_text(path.read_text())

    def user_id(self, user: str) -> int:
        """``user``'s id in the container's image (its packages made their
        own users, with ids of their own)."""
        code, out = self.exec_in_container(["getent", "passwd", user])
        if code != 0:
            raise ContainerError(f"host {self.name}: its image has no user {user!r}")
        return int(out.split(":")[2])

    def exec_in_container(self, argv: list[str]) -> tuple[int, str]:
        """Run ``argv`` inside the container (its image's files, its limits),
        through the engine; its exit status and output."""
        result = self.container.exec_run(argv)
        return result.exit_code, result.output.decode(errors="replace")

    def terminate(self):
        try:
            super().terminate()
        finally:
            remove_container(self.container)


def remove_container(container) -> None:
    """Gone, or being removed: teardown goes on either way, and its last
    check (remove_labelled) finds any that stayed."""
    import docker

    with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
        container.remove(force=True)
        log.debug("removed container %s", container.name)


def remove_labelled(client, run_label: str | None = None,
                    keep_runs: frozenset[str] = frozenset()) -> list[str]:
    """Remove applab's containers (of one run, or all but those of
    ``keep_runs``, live runs' labels); their names."""
    wanted = f"{LABEL}.run={run_label}" if run_label else f"{LABEL}=container"
    removed = []
    for container in client.containers.list(all=True, filters={"label": wanted}):
        if container.labels.get(f"{LABEL}.run") in keep_runs:
            continue
        remove_container(container)
        removed.append(container.name)
    return removed
