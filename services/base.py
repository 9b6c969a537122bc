"""The one small interface every service role implements.

A service does not know how the network is built: the orchestrator hands it a
``HostContext`` (names, addresses, its private directory, its parameters) and
drives it through four calls:

- ``config(ctx)``: the files to write, as {path: text}. Pure.
- ``command(ctx)``: the argv that runs it in the foreground.
- ``ready(ctx, probe)``: one cheap check, polled until true. Never a sleep.
- ``metrics(ctx)``: numbers parsed from its own logs.

A workload (a client that runs, then exits) implements the same interface;
its ``command`` ends by itself. It also offers ``prepare_commands(ctx)``, the
commands to run once before it starts (as [(service name, argv)], each run on
that service's host), and ``read_rows(ctx)``, its per-request log.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Protocol

from topologies.names import Names


@dataclass(frozen=True)
class HostContext:
    """What a service may know of the world."""

    name: str                      # the service's name in the spec
    host: str                      # the emulated host it runs on
    ip: str                        # that host's address
    home: Path                     # private directory for config, state and logs
    params: dict = field(default_factory=dict)
    addresses: dict[str, str] = field(default_factory=dict)  # every host's address
    services: dict[str, str] = field(default_factory=dict)   # service name -> host
    seed: int = 0
    # Started services' private directories: for a workload that plays a site
    # update (hosts share one filesystem).
    homes: dict[str, Path] = field(default_factory=dict)
    # The run's DNS (zones, root servers, how they resolve), if it has one.
    names: Names | None = None
    resolver: str | None = None    # the local DNS server's service, with DNS

    def url_host(self, service: str) -> str:
        """How a client names a service's host: its DNS name where the run
        has DNS, its address otherwise."""
        host = self.services[service]
        name = self.names.name_of(host) if self.names else None
        return name or self.addresses[host]

    def path(self, *parts: str) -> Path:
        return self.home.joinpath(*parts)

    def address_of_service(self, service: str) -> str:
        return self.addresses[self.services[service]]


# Linux's capabilities, by the names an assignment may grant (no cap_ prefix).
CAPABILITIES = (
    "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid",
    "setuid", "setpcap", "linux_immutable", "net_bind_service", "net_broadcast",
    "net_admin", "net_raw", "ipc_lock", "ipc_owner", "sys_module", "sys_rawio",
    "sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
    "sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write",
    "audit_control", "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
    "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore")


@dataclass(frozen=True)
class SandboxLimits:
    """What one sandboxed program may use; an assignment may change each."""

    memory_mb: int = 256
    tasks: int = 64
    cpus: float = 1.0
    disk_mb: int = 64
    capabilities: tuple[str, ...] = ()

    FIELDS = ("memory_mb", "tasks", "cpus", "disk_mb", "capabilities")

    @classmethod
    def problems(cls, given) -> list[tuple[tuple, str]]:
        """What is wrong with a spec's ``sandbox:`` mapping, by field."""
        if not isinstance(given, dict):
            return [((), f"a mapping of {', '.join(cls.FIELDS)}")]
        found = [((key,), f"not a sandbox setting (use {', '.join(cls.FIELDS)})")
                 for key in given if key not in cls.FIELDS]
        for key in ("memory_mb", "tasks", "disk_mb"):
            if key in given and (type(given[key]) is not int or given[key] < 1):
                found.append(((key,), "a whole number, at least 1"))
        if "cpus" in given and (isinstance(given["cpus"], bool)
                                or not isinstance(given["cpus"], int | float)
                                or given["cpus"] <= 0):
            found.append((("cpus",), "a positive number of cores (0.5: half of one)"))
        caps = given.get("capabilities", [])
        if not isinstance(caps, list):
            found.append((("capabilities",), "a list of capability names, e.g. [net_raw]"))
        else:
            found += [(("capabilities", i), f"no capability {cap!r} (e.g. net_raw)")
                      for i, cap in enumerate(caps) if cap not in CAPABILITIES]
        return found

    @classmethod
    def of(cls, given: dict | None) -> SandboxLimits:
        given = dict(given or {})
        given["capabilities"] = tuple(given.get("capabilities", ()))
        return cls(**given)

    def describe(self, limit: str) -> str:
        return {"memory": f"its memory limit ({self.memory_mb} MB)",
                "tasks": f"its limit of {self.tasks} tasks",
                "disk": f"its working directory's size ({self.disk_mb} MB)",
                "time": "its time limit"}[limit]


class Probe(Protocol):
    """Checks run from inside the service's host."""

    def tcp_open(self, ip: str, port: int) -> bool: ...

    def greeting(self, ip: str, port: int) -> str:
        """The first line a server sends on a new connection ("" if none)."""

    def run(self, argv: list[str]) -> tuple[int, str]: ...


def listening(probe: Probe, port: int, protocol: str) -> bool:
    """Something in the host listens on ``port`` (tcp), or holds it (udp)."""
    code, out = probe.run(["ss", "-Hln" + ("t" if protocol == "tcp" else "u"),
                           f"sport = :{port}"])
    return code == 0 and bool(out.strip())


class Service(Protocol):
    role: ClassVar[str]
    # Parameters the role accepts, with their defaults: the spec is checked
    # against these before anything starts.
    defaults: ClassVar[dict]
    # The user the daemon drops to, who must own its directory; None: root.
    user: ClassVar[str | None]

    def config(self, ctx: HostContext) -> dict[Path, str]: ...

    def command(self, ctx: HostContext) -> list[str]: ...

    def ready(self, ctx: HostContext, probe: Probe) -> bool: ...

    def metrics(self, ctx: HostContext) -> dict: ...


def service_role_problems(params: dict, spec, key: str, role: str | tuple[str, ...],
                          what: str) -> list[tuple[tuple, str]]:
    """``params[key]`` must name a service of ``role`` (or of one of them) in the spec."""
    roles = (role,) if isinstance(role, str) else role
    service = spec.services.get(params.get(key) or "")
    if service is None or service.role not in roles:
        return [((key,), f"name the {' or '.join(roles)} service {what}")]
    return []


def whole_number_problems(params: dict, keys: tuple[str, ...],
                          at_least: int) -> list[tuple[tuple, str]]:
    """Each of ``keys`` given in ``params`` is a whole number, at least ``at_least``."""
    return [((key,), f"a whole number, at least {at_least}") for key in keys
            if key in params and (type(params[key]) is not int or params[key] < at_least)]


def boolean_problems(params: dict, keys: tuple[str, ...]) -> list[tuple[tuple, str]]:
    """Each of ``keys`` given in ``params`` is true or false."""
    return [((key,), "true or false") for key in keys
            if key in params and type(params[key]) is not bool]


class Role:
    """What every role shares: it runs as root unless it says otherwise, and
    its parameters are its defaults overlaid with the spec's. Run as a
    workload, it runs to completion; one that runs until stopped (a seeding
    peer, background traffic) sets ``finite = False``: the scenario does not
    wait for it, and stops it when the others are done."""

    user: ClassVar[str | None] = None
    # Debian packages, beside those of the classes it extends (declared):
    # ``packages`` hold the programs it runs in its host, so a container
    # host's image needs them too; ``machine_packages`` the tools the machine
    # runs for it (its probes, its sandbox, content made before it starts);
    # ``packaged_units`` the packaged daemons to keep stopped, as applab
    # starts its own inside hosts. scripts/install.sh and the image recipes
    # are made from these (orchestrator/packages.py).
    packages: ClassVar[tuple[str, ...]] = ()
    machine_packages: ClassVar[tuple[str, ...]] = ()
    packaged_units: ClassVar[tuple[str, ...]] = ()
    # Its home lies in the runtime directory, copied into the results at the
    # end: its daemons drop to other users (not to one owner of its home),
    # who must reach it, or it opens UNIX sockets there, whose paths may not
    # exceed 107 bytes (a results directory can be deep).
    runtime_home: ClassVar[bool] = False
    defaults: ClassVar[dict] = {}
    finite: ClassVar[bool] = True
    # As a workload, its exit status is a result to judge (a student's
    # program), not a failure of the run.
    reports_exit: ClassVar[bool] = False
    # Its program is applab's own, run by this machine's Python: a container
    # host cannot run it (its image holds the programs it runs).
    host_python: ClassVar[bool] = False

    # Its exit status when its own time limit stopped it, if it has one.
    timed_out_status: ClassVar[int | None] = None

    @classmethod
    def declared(cls, field: str) -> tuple[str, ...]:
        """Its ``field`` (packages, machine_packages, packaged_units) and that
        of the classes it extends, each once."""
        found = [p for klass in reversed(cls.__mro__) for p in vars(klass).get(field, ())]
        return tuple(dict.fromkeys(found))

    def sandbox_limits(self, ctx: HostContext):
        """The limits of the sandbox it runs in (SandboxLimits), or None: it
        runs as any command (applab's own servers and clients)."""
        return None

    def owners(self, ctx: HostContext) -> dict[Path, str]:
        """Directories (made if missing) to give, with what is in them, to a user."""
        return {ctx.home: self.user} if self.user else {}

    def _params(self, ctx: HostContext) -> dict:
        return {**self.defaults, **ctx.params}


def write_rows(path: Path, columns, rows) -> None:
    """A workload program's rows, all at once, under its declared ``columns``."""
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)


class RowsError(ValueError):
    """A workload's rows are not what its role declares."""


class CsvWorkload(Role):
    """What every workload shares: it runs to completion, is ready at once,
    needs nothing prepared, and leaves one CSV (``output``) in its home,
    with the ``columns`` it declares (None: whatever its program writes, as
    a student's program). Its program is one of applab's (``host_python``)
    unless it says otherwise."""

    host_python = True
    service_refs: ClassVar[tuple[str, ...]] = ()
    output: ClassVar[str] = "rows.csv"
    columns: ClassVar[tuple[str, ...] | None] = None
    # Its program, once set up, waits for the workloads started with it
    # (``begin_with_the_others``), so that all begin their work at once.
    begins_together: ClassVar[bool] = False

    def config(self, ctx: HostContext) -> dict[Path, str]:
        return {}

    def ready(self, ctx: HostContext, probe: Probe) -> bool:
        return True

    def prepare_commands(self, ctx: HostContext) -> list[tuple[str, list[str]]]:
        return []

    @classmethod
    def read_rows(cls, ctx: HostContext) -> list[dict]:
        """Its rows; a program that wrote other columns than its role
        declares is an error that names the file."""
        path = ctx.path(cls.output)
        if not path.exists():
            return []
        with open(path, newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames
            if header is not None and cls.columns is not None and \
                    tuple(header) != tuple(cls.columns):
                raise RowsError(f"{path}: columns {', '.join(header)}; the {cls.role} role "
                                f"declares {', '.join(cls.columns)}")
            return list(reader)

    def metrics(self, ctx: HostContext) -> dict:
        return {"rows": len(self.read_rows(ctx))}


class SettingsFileWorkload(CsvWorkload):
    """A workload program that takes its settings from one JSON file its role
    writes (``settings(ctx)``) and logs its rows to ``output``: it runs as
    ``python -m <program> --config <settings_file> --out <output>`` and its
    module ends with ``settings_file_main``."""

    program: ClassVar[str]
    settings_file: ClassVar[str] = "settings.json"

    def settings(self, ctx: HostContext) -> dict:
        raise NotImplementedError

    def config(self, ctx: HostContext) -> dict[Path, str]:
        return {ctx.path(self.settings_file): json.dumps(self.settings(ctx), indent=1)}

    def command(self, ctx: HostContext) -> list[str]:
        return [sys.executable, "-m", self.program, "--config",
                str(ctx.path(self.settings_file)), "--out", str(ctx.path(self.output))]


def retrying(action, deadline: float, errors, pause_s: float):
    """``action()``'s result, asked again ``pause_s`` after each failure
    (one of ``errors``) until the ``time.monotonic()`` deadline; with the
    seconds spent on failures."""
    failed_s = 0.0
    while True:
        began = time.monotonic()
        try:
            return action(), failed_s
        except errors:
            if time.monotonic() + pause_s > deadline:
                raise
            time.sleep(pause_s)
            failed_s += time.monotonic() - began


# In a program's environment: wait for the others (``begins_together``). Set
# where the orchestrator can see the program's process and continue it.
BEGIN_TOGETHER_ENV = "APPLAB_BEGIN_TOGETHER"


def begin_with_the_others() -> None:
    """Where a program's setup (imports, sessions, files) ends and its work
    begins: told to (``BEGIN_TOGETHER_ENV``), it stops itself here, and the
    orchestrator continues every such program at once when all have
    stopped, which is when the run's window opens. What it starts later
    is not told to."""
    if os.environ.pop(BEGIN_TOGETHER_ENV, None):
        os.kill(os.getpid(), signal.SIGSTOP)


def settings_file_main(run, description: str) -> int:
    """The entry point of a SettingsFileWorkload's program: ``run(settings, out)``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    return run(json.loads(args.config.read_text()), args.out)
