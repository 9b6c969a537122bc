"""Nodes and links of Mininet's cluster edition, with applab's own node
behaviour: a node on a worker is driven over SSH (``RemoteMixin``), a link
between two machines is a VXLAN tunnel.

VXLAN, not Mininet's SSH tunnels nor its GRE: this kernel has no GRE, and an
SSH tunnel copies every frame through ssh in user space. VXLAN is the
kernel's own, on UDP 4789 between the machines' addresses, and adds 50 bytes
per frame (see ``tunnel_mtu``)."""
from __future__ import annotations

import contextlib
import itertools
import os
import random
import shlex
import signal
import subprocess
from functools import partial
from pathlib import Path

from mininet.examples.cluster import RemoteMixin

from orchestrator.emulation.commands import log_shell
from orchestrator.emulation.links.realizers import ShapedLink
from orchestrator.emulation.nodes import AppBridge, AppHost, LoggedShell
from orchestrator.emulation.waiting import wait_until
from orchestrator.errors import CommandError, TopologyError

VXLAN_PORT = 4789
VXLAN_OVERHEAD_BYTES = 50   # outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8
ETHERNET_MTU = 1500


class ClusterNode(RemoteMixin):
    """``ssh_options``: the worker's key and known-hosts file, for every ssh
    Mininet runs to it (its shell, and each command started in it);
    ``python``: the worker's Python with applab."""

    def __init__(self, name, ssh_options=(), python=None, **params):
        # RemoteMixin builds its ssh command from ``sshbase`` before starting the shell.
        self.sshbase = [*RemoteMixin.sshbase, *ssh_options]
        if python:
            self.python = python
        super().__init__(name, **params)

    @staticmethod
    def _ignoreSignal():  # noqa: N802 (Mininet's name, called for each process it starts)
        # A process group of its own, as Mininet makes it; and SIGHUP at its
        # default: Mininet stops a node's shell with it, and under nohup ssh
        # would ignore it and the run wait for that shell for ever.
        os.setpgrp()
        signal.signal(signal.SIGHUP, signal.SIG_DFL)

    def _popen(self, cmd, sudo=True, tt=True, **params):
        if not self.isRemote:
            # As any node here. RemoteMixin would put the process in a group
            # of its own, and mnexec -d would then fork: the process Popen
            # tracks would exit at once, leaving the program unwatched.
            return super(RemoteMixin, self)._popen(cmd.split() if isinstance(cmd, str) else cmd,
                                                   **params)
        # ssh hands the remote shell one line: each word is quoted to stay one.
        if isinstance(cmd, list):
            cmd = [shlex.quote(str(word)) for word in cmd]
        return super()._popen(cmd, sudo=sudo, tt=tt, **params)

    def machine_popen(self, argv: list[str], **kwargs):
        log_shell(self.server, shlex.join(str(a) for a in argv) + " &")
        # No pseudo-terminal: the pipes carry the program's own bytes.
        return self._popen([str(a) for a in argv], tt=False, **kwargs)

    def rcmd(self, command: str) -> str:  # one form of Mininet's, the one used here
        log_shell(self.server, command)
        return super().rcmd(command)

    def read_machine_file(self, path: str) -> str:
        if not self.isRemote:
            return super().read_machine_file(path)
        return run_through(self.machine_popen, ["cat", path]).decode()


class ClusterHost(ClusterNode, AppHost):
    """A host (or router) on this machine or a worker. On a worker, each
    program it starts notes its process group's id there (mnexec gives it a
    session of its own) in ``pid_dir``, so it can be signalled there: the
    local ssh that started it stands for it in everything else."""

    _starts = itertools.count(1)

    def __init__(self, name, pid_dir: str = "/tmp/applab-pids", on_push=None, **params):
        """``on_push(node, path)``: told of each directory copied to the worker."""
        self.pid_dir, self.on_push = pid_dir, on_push
        super().__init__(name, **params)

    def popen(self, *args, **kwargs):
        if not self.isRemote:
            return super().popen(*args, **kwargs)
        argv = args[0] if len(args) == 1 and isinstance(args[0], list) else list(args)
        pid_file = f"{self.pid_dir}/{self.name}.{next(self._starts)}"
        noted = ["sh", "-c", f'mkdir -p {self.pid_dir} && echo $$ > {pid_file} && exec "$@"',
                 "sh", *[str(a) for a in argv]]
        return RemoteProcess(super().popen(noted, **kwargs), self, pid_file)

    def user_id(self, user: str) -> int:
        if not self.isRemote:
            return super().user_id(user)
        return int(self.rcmd(f"id -u {user}").strip())

    def push(self, path: Path) -> None:
        """Copy ``path`` (a directory of this machine) to the same place on
        the worker, owners kept: what the host's programs read there."""
        if not self.isRemote:
            return
        if self.on_push:
            self.on_push(self, path)
        copy_tree(path, partial(LoggedShell.machine_popen, self), self.machine_popen)

    def pull(self, path: Path) -> None:
        """Copy ``path`` back from the worker, over this machine's copy:
        what the host's programs wrote there."""
        if self.isRemote:
            copy_tree(path, self.machine_popen, partial(LoggedShell.machine_popen, self))


def copy_tree(path: Path, source, target) -> None:
    """``path`` from one machine to the other (``source`` and ``target``
    start a command on each), as a tar stream, owners kept by number."""
    tar = ["tar", "-C", "/", "--numeric-owner"]
    packed = run_through(source, [*tar, "-cf", "-", str(path.resolve().relative_to("/"))])
    run_through(target, [*tar, "-xf", "-"], packed)


def run_through(popen, argv: list[str], data: bytes | None = None) -> bytes:
    """``argv`` started by ``popen`` (a machine's), fed ``data``: its output,
    or CommandError with what it said."""
    proc = popen(argv, stdin=subprocess.DEVNULL if data is None else subprocess.PIPE,
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(data)
    if proc.returncode != 0:
        raise CommandError("machine", shlex.join(argv), proc.returncode,
                           err.decode(errors="replace"))
    return out


# Reading a program's noted process id back took 0.8-1.0 s here (each poll
# is an ssh to the worker).
PID_NOTED_TIMEOUT_S = 5.0


class RemoteProcess:
    """A program on a worker, through the local ssh that started it (its
    exit status is the program's): signalled there, by its process group."""

    def __init__(self, local, host: ClusterHost, pid_file: str):
        self.local, self.host, self.pid_file = local, host, pid_file
        self._remote_pid: int | None = None

    def __getattr__(self, name):
        return getattr(self.local, name)   # pid, poll, wait, returncode, pipes

    def remote_pid(self) -> int:
        if self._remote_pid is None:
            wait_until(lambda: self._noted() is not None, PID_NOTED_TIMEOUT_S,
                       f"{self.host.name}: the program's pid noted in {self.pid_file}")
            self._remote_pid = self._noted()
        return self._remote_pid

    def _noted(self) -> int | None:
        with contextlib.suppress(CommandError, ValueError):
            return int(self.host.read_machine_file(self.pid_file))
        return None

    def signal_group(self, sig: signal.Signals) -> None:
        if self.local.poll() is not None:
            return      # it has exited: its ssh returned
        # "--": a negative pid is a process group, not an option.
        self.host.rcmd(f"kill -s {int(sig)} -- -{self.remote_pid()}")

    def send_signal(self, sig: signal.Signals) -> None:
        if self.local.poll() is None:
            self.host.rcmd(f"kill -s {int(sig)} {self.remote_pid()}")


class ClusterBridge(ClusterNode, AppBridge):
    """A Linux bridge on this machine or a worker."""


def tunnel_mtu(underlay_mtu: int) -> int:
    """The MTU of a tunnelled link: Ethernet's where the machines' own
    network carries 1550-byte frames, else what fits."""
    return min(ETHERNET_MTU, underlay_mtu - VXLAN_OVERHEAD_BYTES)


class VxlanLink(ShapedLink):
    """A link whose ends are on two machines: a VXLAN device made in each
    machine's root namespace (so it sends over that machine's network) and
    moved into the node. Shaped like any link by tc on its ends."""

    # One VNI per tunnel; a run's are consecutive from a random start, so two
    # runs between the same machines do not take each other's frames.
    _vnis = itertools.count(random.randrange(1, 2 ** 23))

    def makeIntfPair(self, intfname1, intfname2, addr1=None, addr2=None,  # noqa: N802
                     node1=None, node2=None, deleteIntfs=True):
        if node1.server == node2.server:
            raise TopologyError(f"{node1.name}-{node2.name}: both ends are on "
                                f"{node1.server}; a tunnel joins two machines")
        vni = next(self._vnis)
        for node, name, addr, peer in ((node1, intfname1, addr1, node2),
                                       (node2, intfname2, addr2, node1)):
            local = source_address(node, peer.serverIP)
            mtu = tunnel_mtu(underlay_mtu(node, peer.serverIP))
            run_checked(node, f"ip link add name {name} type vxlan id {vni} local {local} "
                              f"remote {peer.serverIP} dstport {VXLAN_PORT} nolearning")
            if addr:
                run_checked(node, f"ip link set {name} address {addr}")
            run_checked(node, f"ip link set {name} mtu {mtu} netns {node.pid}")
        return None


def route_to(node, address: str) -> list[str]:
    return node.rcmd(f"ip -o route get {address}").split()


def source_address(node, address: str) -> str:
    """The address ``node``'s machine sends from toward ``address``."""
    words = route_to(node, address)
    return words[words.index("src") + 1]


def underlay_mtu(node, address: str) -> int:
    words = route_to(node, address)
    device = words[words.index("dev") + 1]
    return int(node.rcmd(f"cat /sys/class/net/{device}/mtu").strip())


def run_checked(node, command: str) -> None:
    """A command in ``node``'s machine's root namespace; any output is its error."""
    said = node.rcmd(command).strip()
    if said:
        raise TopologyError(f"{node.name} ({node.server}): `{command}`: {said}")
