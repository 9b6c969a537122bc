"""The machines of a run beside this one (the coordinator), reached over SSH
with paramiko: their host keys checked, applab installed and its version
compared, commands run and files moved. Every failure is a WorkerError
naming the machine."""
from __future__ import annotations

import json
import logging
import shlex
import time
from dataclasses import dataclass
from pathlib import Path

from orchestrator.emulation.cluster.version import identity
from orchestrator.errors import AppLabError

log = logging.getLogger("applab.commands")

# Connecting to the stand-in worker took 64 ms here (three tries); a machine
# that has not answered in this long is taken as unreachable.
CONNECT_TIMEOUT_S = 10.0
# scripts/install.sh with nothing left to install took ~20 s here; a first
# install (apt, the venv) takes minutes.
INSTALL_TIMEOUT_S = 1800.0
COMMAND_TIMEOUT_S = 120.0


class WorkerError(AppLabError):
    """A worker machine cannot take part in the run."""


class WorkerUnreachable(WorkerError):
    pass


class WorkerHostKeyError(WorkerError):
    pass


class WorkerVersionMismatch(WorkerError):
    pass


@dataclass(frozen=True)
class Machine:
    """A worker: where it answers SSH (as root, as Mininet's cluster edition
    runs its nodes), with which key, whose host key must be in
    ``known_hosts``; ``applab``: the checkout of applab on it (its
    scripts/install.sh made the venv)."""

    name: str
    address: str
    port: int = 22
    key: Path | None = None
    known_hosts: Path | None = None
    applab: str = "/opt/applab"

    @property
    def python(self) -> str:
        return f"{self.applab}/.venv/bin/python"

    def as_record(self) -> dict:
        return {"name": self.name, "address": self.address, "port": self.port,
                "key": str(self.key) if self.key else None,
                "known_hosts": str(self.known_hosts) if self.known_hosts else None,
                "applab": self.applab}

    @classmethod
    def from_record(cls, record: dict) -> Machine:
        paths = {k: Path(record[k]) if record[k] else None for k in ("key", "known_hosts")}
        return cls(record["name"], record["address"], record["port"], **paths,
                   applab=record["applab"])

    @property
    def ssh_options(self) -> list[str]:
        """For Mininet's ssh to it: the same key and host-key check."""
        options = ["-p", str(self.port), "-o", "StrictHostKeyChecking=yes"]
        if self.key is not None:
            options += ["-i", str(self.key.expanduser())]
        if self.known_hosts is not None:
            options += ["-o", f"UserKnownHostsFile={self.known_hosts.expanduser()}"]
        return options


class Worker:
    """An open SSH session to one machine."""

    def __init__(self, machine: Machine, connect_timeout_s: float = CONNECT_TIMEOUT_S):
        # Imported by a session only: what reads run folders needs no SSH.
        import paramiko

        self.machine = machine
        self.client = paramiko.SSHClient()
        # Host keys are checked: an unknown or changed key is refused.
        self.client.set_missing_host_key_policy(paramiko.RejectPolicy())
        self.client.load_system_host_keys()
        if machine.known_hosts is not None:
            try:
                self.client.load_host_keys(str(machine.known_hosts.expanduser()))
            except OSError as exc:
                raise WorkerHostKeyError(f"{machine.name}: its known_hosts file "
                                         f"{machine.known_hosts} cannot be read: "
                                         f"{exc.strerror}") from None
        try:
            self.client.connect(machine.address, port=machine.port, username="root",
                                key_filename=str(machine.key.expanduser()) if machine.key
                                else None, timeout=connect_timeout_s,
                                banner_timeout=connect_timeout_s,
                                auth_timeout=connect_timeout_s, allow_agent=False,
                                look_for_keys=machine.key is None)
        except paramiko.BadHostKeyException as exc:
            raise WorkerHostKeyError(f"machine {machine.name} ({machine.address}): its host "
                                     f"key has changed ({exc})") from exc
        except paramiko.SSHException as exc:
            if "not found in known_hosts" in str(exc):
                raise WorkerHostKeyError(
                    f"machine {machine.name} ({machine.address}): its host key is not in "
                    f"{machine.known_hosts or '~/.ssh/known_hosts'}; add it (ssh-keyscan) "
                    "once you have checked it") from exc
            raise WorkerUnreachable(f"machine {machine.name} ({machine.address}): "
                                    f"SSH failed: {exc}") from exc
        except OSError as exc:  # refused, no route, timed out
            raise WorkerUnreachable(f"machine {machine.name} ({machine.address}:"
                                    f"{machine.port}) is unreachable: {exc}") from exc

    def run(self, argv: list[str], timeout_s: float = COMMAND_TIMEOUT_S,
            check: bool = True) -> tuple[int, str, str]:
        command = shlex.join(str(a) for a in argv)
        started = time.monotonic()
        _, stdout, stderr = self.client.exec_command(command, timeout=timeout_s)
        out, err = stdout.read().decode(errors="replace"), stderr.read().decode(errors="replace")
        code = stdout.channel.recv_exit_status()
        log.debug("%s $ %s -> %d (%.3fs)", self.machine.name, command, code,
                  time.monotonic() - started)
        if check and code != 0:
            raise WorkerError(f"machine {self.machine.name}: `{command}` exited {code}: "
                              f"{(err or out).strip()[-400:]}")
        return code, out, err

    def install(self) -> str:
        """scripts/install.sh of the worker's own checkout (idempotent); what it said."""
        _, out, _ = self.run(["bash", f"{self.machine.applab}/scripts/install.sh"],
                             INSTALL_TIMEOUT_S)
        return out

    def identity(self) -> dict[str, str]:
        code, out, err = self.run([self.machine.python, "-m", "orchestrator.cli", "version",
                                   "--json"], check=False)
        if code != 0:
            raise WorkerVersionMismatch(f"machine {self.machine.name}: no applab at "
                                        f"{self.machine.applab} ({(err or out).strip()[-200:]})")
        return json.loads(out)

    def check_version(self) -> None:
        """The worker runs the same applab as this machine."""
        mine, theirs = identity(), self.identity()
        if mine != theirs:
            raise WorkerVersionMismatch(
                f"machine {self.machine.name} runs applab {theirs['version']} (source "
                f"{theirs['source']}), this machine {mine['version']} (source {mine['source']}): "
                f"update its checkout at {self.machine.applab} and run scripts/install.sh")

    def sweep(self, plan: dict) -> dict:
        """Remove what a run left on this machine (cluster.sweep); what it
        killed, deleted, and what is still there."""
        _, out, _ = self.run([self.machine.python, "-m", "orchestrator.emulation.cluster.sweep",
                              json.dumps(plan)])
        return json.loads(out)

    def close(self) -> None:
        self.client.close()
