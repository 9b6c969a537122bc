"""Which machine each node of a topology runs on: the spec's placement
(hosts or groups -> machine), then a placer of Mininet's cluster edition for
the nodes left, else this machine (the coordinator)."""
from __future__ import annotations

from collections import Counter

from mininet.examples.cluster import RoundRobinPlacer, SwitchBinPlacer

from orchestrator.emulation.cluster import ROUND_ROBIN, SWITCH_BIN
from orchestrator.errors import AppLabError

COORDINATOR = "local"
PLACERS = {ROUND_ROBIN: RoundRobinPlacer, SWITCH_BIN: SwitchBinPlacer}


class PlacementError(AppLabError):
    """A placement names a node or machine that does not exist."""

    def __init__(self, where: tuple, message: str):
        self.where = where
        super().__init__(message)


def expand(topo, placement: dict[str, str], machines: list[str]) -> dict[str, str]:
    """Each host the spec places, by name or through its group."""
    known = [COORDINATOR, *machines]
    placed: dict[str, str] = {}
    for name, machine in placement.items():
        if machine not in known:
            raise PlacementError((name,), f"no machine {machine!r} (machines: "
                                 f"{', '.join(known)})")
        members = topo.groups.get(name) or ([name] if name in topo.hosts() else None)
        if members is None:
            raise PlacementError((name,), f"no host or group {name!r} to place")
        for host in members:
            placed[host] = machine
    return placed


def place(topo, placement: dict[str, str], machines: list[str],
          placer: str | None = None) -> dict[str, str]:
    """The machine of every node. A switch not placed by the placer goes
    where most of its hosts are (ties: the first of them), so a LAN's frames
    cross no tunnel unless its hosts are split."""
    placed = expand(topo, placement, machines)
    if placer is not None:
        servers = [COORDINATOR, *machines]
        try:
            chooser = PLACERS[placer](servers=servers, nodes=topo.nodes(),
                                      hosts=topo.hosts(), switches=topo.switches(),
                                      links=topo.links())
        except Exception as exc:  # Mininet's placers raise the bare class
            raise PlacementError(("placer",), f"the {placer} placer cannot place this "
                                 f"topology ({exc}): place those hosts yourself") from exc
        for node in topo.nodes():
            placed.setdefault(node, chooser.place(node))
    for host in topo.hosts():
        placed.setdefault(host, COORDINATOR)
    for switch in topo.switches():
        if switch not in placed:
            neighbours = [placed[n] for n in neighbours_of(topo, switch) if n in placed]
            placed[switch] = Counter(neighbours).most_common(1)[0][0] if neighbours \
                else COORDINATOR
    return placed


def neighbours_of(topo, node: str) -> list[str]:
    return [b if a == node else a for a, b in topo.links() if node in (a, b)]


def crossing_links(topo, placed: dict[str, str]) -> list[tuple[str, str]]:
    """The links whose ends are on two machines: each becomes a tunnel."""
    return [(a, b) for a, b in topo.links() if placed[a] != placed[b]]
