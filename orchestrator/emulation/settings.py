"""The machine's settings a run changes, and their restoration.

Bridged frames are kept out of the machine's iptables, interfaces made
during the run stay quiet, hosts may choose the run's TCP congestion
control, and the neighbour table has room for every host's neighbours.
Each original value is recorded in the run's state before it changes, so
`applab clean` restores it after a run killed outright."""
from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

from orchestrator.emulation import shared, state

# Every emulated host uses this TCP congestion control, Linux's default, so a
# machine whose default differs (BBR paces small responses over a long RTT)
# gives the same results as a stock VM.
DEFAULT_TCP_CONGESTION = "cubic"
TCP_CONGESTION = "/proc/sys/net/ipv4/tcp_congestion_control"
BRIDGE_NF_SYSCTLS = [f"/proc/sys/net/bridge/bridge-nf-call-{t}tables" for t in ("arp", "ip", "ip6")]
# Interfaces made while they hold stay silent: no IPv6, no IGMP reports for
# link-local groups (the emulation is IPv4 unicast).
QUIET_INTERFACE_SYSCTLS = {"/proc/sys/net/ipv6/conf/default/disable_ipv6": "1",
                           "/proc/sys/net/ipv4/igmp_link_local_mcast_reports": "0"}


class MachineSettings:
    """A guard over the root namespace's settings for one run: ``hold()``
    changes them, ``restore()`` (always, in ``finally``) puts them back."""

    def __init__(self, run_state: state.RunState):
        self._state = run_state
        self._saved: dict[str, str] = {}
        self._shared = ExitStack()

    def hold(self) -> None:
        # Bridged frames would otherwise traverse the host's iptables.
        for path in BRIDGE_NF_SYSCTLS:
            if os.path.exists(path):
                self._set(path, "0")
        # The switch ports and relay TAPs the run makes in the root namespace
        # send nothing of their own (IPv6's address checks, router and listener
        # messages; IGMP reports): on a lossy link those would count among its
        # drops, and on a slow one take its time. Hosts do the same (AppHost).
        for path, value in QUIET_INTERFACE_SYSCTLS.items():
            if os.path.exists(path):
                self._set(path, value)

    def allow_congestion_control(self, algorithm: str) -> bool:
        """Let hosts choose ``algorithm``; False when it is the machine's
        default already, which new namespaces inherit. Outside the machine's
        namespace Linux only allows the 'allowed' algorithms: a setting of
        the machine, shared with runs at once."""
        if Path(TCP_CONGESTION).read_text().strip() == algorithm:
            return False
        self._shared.enter_context(shared.allowing({algorithm}))
        return True

    def make_neighbour_room(self, entries: int) -> None:
        """Room in the machine's neighbour table for ``entries`` more (see
        ``shared.NEIGHBOUR_TABLE_LIMITS``) until ``restore()``."""
        if entries > 0:
            self._shared.enter_context(shared.neighbour_room(entries))

    def _set(self, path: str, value: str) -> None:
        original = Path(path).read_text().strip()
        if path not in self._saved:
            self._saved[path] = original
            self._state.record_sysctl(path, original)
        Path(path).write_text(value + "\n")

    def restore(self) -> None:
        try:
            for path, value in self._saved.items():
                Path(path).write_text(value + "\n")
        finally:
            self._shared.close()
