"""`applab cli`: Mininet's CLI on the hosts of a held run, from another process.

Each node gets a fresh shell attached to the held node's namespaces; leaving
the CLI ends those shells only, and the held run keeps going.
"""
from __future__ import annotations

from mininet.cli import CLI
from mininet.link import Intf
from mininet.net import Mininet
from mininet.node import Node

from orchestrator.emulation.hold import held


class AttachedNode(Node):
    """A node whose shell joins an existing node's namespaces (mnexec -a)."""

    def __init__(self, name, target_pid: int, **params):
        self.target_pid = target_pid
        super().__init__(name, inNamespace=False, **params)

    def startShell(self, mnopts=None):
        super().startShell(mnopts=f"-cda {self.target_pid}")


class KnownIntf(Intf):
    """An interface that already exists: recorded, never reconfigured."""

    def __init__(self, name, node, ip, prefix_len):
        self.node, self.name, self.link = node, name, None
        self.mac, self.ip, self.prefixLen = None, ip, prefix_len
        self.params = {}
        node.addIntf(self)


def attached_cli() -> None:
    run = held()
    net = Mininet(build=False, controller=None)
    for name, pid in sorted(run["pids"].items()):
        node = AttachedNode(name, pid)
        net.nameToNode[name] = node
        if name in run["interfaces"]:
            net.hosts.append(node)
            for intf, ip, prefix in run["interfaces"][name]:
                KnownIntf(intf, node, ip, prefix)
        else:
            net.switches.append(node)
    try:
        CLI(net)
    finally:
        for node in net.hosts + net.switches:
            node.terminate()
