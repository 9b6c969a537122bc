"""Nodes and links of Mininet's cluster edition, with applab's own node
behaviour: a node on a worker is driven over SSH (``RemoteMixin``), a link
between two machines is a VXLAN tunnel.

VXLAN, not Mininet's SSH tunnels nor its GRE: this kernel has no GRE (nor do
many VMs' by default), and an SSH tunnel copies every frame through ssh in
user space. VXLAN is the kernel's own, on UDP 4789 between the machines'
addresses, and adds 50 bytes per frame (see ``tunnel_mtu``)."""
from __future__ import annotations

import itertools
import random
import subprocess

from mininet.examples.cluster import RemoteMixin

from orchestrator.emulation.links.realizers import ShapedLink
from orchestrator.emulation.nodes import AppBridge, AppHost
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

    def machine_popen(self, argv: list[str], **kwargs):
        # No pseudo-terminal: the pipes carry the program's own bytes.
        return self._popen([str(a) for a in argv], tt=False, **kwargs)

    def read_machine_file(self, path: str) -> str:
        if not self.isRemote:
            return super().read_machine_file(path)
        proc = self.machine_popen(["cat", path], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise CommandError(self.name, f"cat {path}", proc.returncode, err)
        return out


class ClusterHost(ClusterNode, AppHost):
    """A host (or router) on this machine or a worker."""


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
