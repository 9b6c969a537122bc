"""Mininet, and its cluster edition, recording each shell, process and
relay pid as it appears, so even a crash in the middle of a build leaves
`applab clean` a complete list."""
from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from functools import partial

from mininet.examples.cluster import MininetCluster
from mininet.net import Mininet

from orchestrator.emulation import state
from orchestrator.emulation.commands import run_root
from orchestrator.emulation.containers.hosts import ContainerHost
from orchestrator.emulation.waiting import WaitTimeout, wait_until

# The kernel removes a thousand ended namespaces' devices in well under this.
PORTS_GONE_TIMEOUT_S = 3.0
PORTS_GONE_POLL_S = 0.02
# The kernel removes ended namespaces in batches, a few hundred ms apart at
# most: ports that have not moved for this long wait on something else.
PORTS_STALLED_S = 0.5
# A scenario's few leftover ports were deleted in one batch in 79 ms here,
# against the PORTS_STALLED_S a wait costs: up to this many are deleted at
# once rather than waited for (a judgement, not a measured crossover).
PORTS_DELETED_AT_ONCE = 50


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

    def stop(self):
        """Mininet's stop; then the switches' ports that go with their hosts'
        namespaces (ShapedLink.delete) are waited for while they keep going:
        a namespace lives on while a socket of its own does (a TCP connection
        still closing across a slow link), so those left then are deleted,
        in one batch."""
        ports = {intf.name for switch in self.switches for intf in switch.intfList()
                 if intf.name != "lo"}
        super().stop()
        left = ports_left_after(lambda: ports & set(state.root_links()))
        if left:
            run_root(["ip", "-force", "-batch", "-"], check=False,
                     input_text="".join(f"link del {port}\n" for port in sorted(left)))

    def _record_process(self, proc, argv):
        self.run_state.record("process", proc.pid, os.path.basename(str(argv[0])))


def ports_left_after(ports_now: Callable[[], set[str]],
                     clock: Callable[[], float] = time.monotonic,
                     sleep: Callable[[float], None] = time.sleep) -> set[str]:
    """Poll ``ports_now`` until few are left (PORTS_DELETED_AT_ONCE), none
    has gone for PORTS_STALLED_S, or PORTS_GONE_TIMEOUT_S has passed; the
    ports left, for the caller to delete."""
    left, moved_at = ports_now(), clock()

    def settled() -> bool:
        nonlocal left, moved_at
        now = ports_now()
        if now != left:
            left, moved_at = now, clock()
        return len(left) <= PORTS_DELETED_AT_ONCE or clock() - moved_at >= PORTS_STALLED_S

    with contextlib.suppress(WaitTimeout):
        wait_until(settled, PORTS_GONE_TIMEOUT_S, "switch ports gone with their hosts",
                   poll_s=PORTS_GONE_POLL_S, clock=clock, sleep=sleep)
    return left


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
