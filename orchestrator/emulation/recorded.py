"""Mininet, and its cluster edition, recording each shell, process and
relay pid as it appears, so even a crash in the middle of a build leaves
`applab clean` a complete list."""
from __future__ import annotations

import os
from functools import partial

from mininet.examples.cluster import MininetCluster
from mininet.net import Mininet

from orchestrator.emulation import state
from orchestrator.emulation.containers.hosts import ContainerHost


class RecordedMininet(Mininet):
    """Mininet that records each shell and relay pid as it appears, so even a
    crash in the middle of a build leaves `applab clean` a complete list.
    ``make_container(name)``: the running container of a container host."""

    def __init__(self, run_state: state.RunState, containers: dict | None = None,
                 make_container=None, **params):
        self.run_state = run_state
        self.containers = containers or {}
        self.make_container = make_container
        super().__init__(**params)

    def addHost(self, name, cls=None, **params):
        if name in self.containers:
            cls = partial(ContainerHost, container=self.make_container(name))
        host = super().addHost(name, cls=cls, on_process=self._record_process, **params)
        self.run_state.record("shell", host.shell.pid, state.SHELL_MARK)
        return host

    def addSwitch(self, name, cls=None, **params):
        switch = super().addSwitch(name, cls=cls, **params)
        self.run_state.record("shell", switch.shell.pid, state.SHELL_MARK)
        return switch

    def addLink(self, node1, node2, port1=None, port2=None, cls=None, **params):
        link = super().addLink(node1, node2, port1, port2, cls, **params)
        if getattr(link, "relay", None):
            self.run_state.record("relay", link.relay.pid, state.RELAY_MARK)
        return link

    def _record_process(self, proc, argv):
        self.run_state.record("process", proc.pid, os.path.basename(str(argv[0])))


class RecordedCluster(RecordedMininet, MininetCluster):
    """RecordedMininet on Mininet's cluster edition: some nodes on workers,
    each reported to ``on_remote_node`` as soon as it exists."""

    def __init__(self, run_state: state.RunState, on_remote_node=None, **params):
        self.on_remote_node = on_remote_node
        super().__init__(run_state, **params)

    def addHost(self, name, cls=None, **params):  # noqa: N802 (Mininet's name)
        return self._reported(super().addHost(name, cls=cls, **params))

    def addSwitch(self, name, cls=None, **params):  # noqa: N802
        return self._reported(super().addSwitch(name, cls=cls, **params))

    def _reported(self, node):
        if node.isRemote:
            self.on_remote_node(node)
        return node
