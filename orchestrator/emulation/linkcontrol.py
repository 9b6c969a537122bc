"""A running network's links at run time: their parameters now, changes to
them, carrier up and down, and what their queues hold and drop."""
from __future__ import annotations

import json

from orchestrator.emulation.commands import run_in
from orchestrator.emulation.links.realizers import frames_dropped
from orchestrator.errors import TopologyError
from topologies.params import LinkDirections, change_link


class LinkControl:
    """``links``: each link's parameters by link name (first end first), as
    the topology gave them; ``net``: the running Mininet, once it is up."""

    def __init__(self, links: dict[str, LinkDirections]):
        self.links = links
        self.net = None

    @property
    def params(self) -> dict[str, dict]:
        """Each link's parameters now, per direction, by link name."""
        return {name: link.as_dict() for name, link in self.links.items()}

    def link_between(self, node1: str, node2: str):
        links = self.net.linksBetween(self.net[node1], self.net[node2])
        if not links:
            raise TopologyError(f"no link between {node1!r} and {node2!r}")
        return links[0]

    def _name(self, node1: str, node2: str) -> str:
        name = f"{node1}-{node2}"
        return name if name in self.links else f"{node2}-{node1}"

    def egress(self, node: str, peer: str):
        """The parameters of the link node--peer in the direction node -> peer."""
        name = self._name(node, peer)
        if name not in self.links:
            raise TopologyError(f"no link between {node!r} and {peer!r}")
        return self.links[name].leaving(first_end=name == f"{node}-{peer}")

    def set(self, node1: str, node2: str, change: dict) -> LinkDirections:
        """Change some of a link's parameters; the others stay. ``up`` and
        ``down`` in ``change`` are node1 -> node2 and back."""
        link = self.link_between(node1, node2)
        name = self._name(node1, node2)
        forward = name == f"{node1}-{node2}"
        before = self.links[name]
        oriented = before if forward else LinkDirections(before.down, before.up)
        after = change_link(name, oriented, change)
        if not forward:
            after = LinkDirections(after.down, after.up)
        first_node = node1 if forward else node2     # the name's first end (names may hold "-")
        first = link.intf1 if link.intf1.node.name == first_node else link.intf2
        second = link.intf2 if first is link.intf1 else link.intf1
        for intf, old, new in ((first, before.up, after.up), (second, before.down, after.down)):
            if new != old:
                intf.change(old, new)
        self.links[name] = after
        return after

    def set_up(self, node1: str, node2: str, up: bool) -> None:
        """Carrier up or down at both ends, as `link s1 h1 down` in Mininet's CLI."""
        link = self.link_between(node1, node2)
        for intf in (link.intf1, link.intf2):
            run_in(intf.node, ["ip", "link", "set", "dev", intf.name, "up" if up else "down"])

    def queue_stats(self, node: str, interfaces: list[str]) -> tuple[int, int]:
        """Backlog bytes and drops of the root qdiscs on ``node``'s ``interfaces``."""
        backlog = drops = 0
        for intf in interfaces:
            for qdisc in json.loads(run_in(self.net[node], ["tc", "-s", "-j", "qdisc", "show",
                                                            "dev", intf])):
                if qdisc.get("root"):
                    backlog += qdisc.get("backlog", 0)
                    drops += qdisc.get("drops", 0)
        return backlog, drops

    def queued_bytes(self, node1: str, node2: str) -> dict[str, int]:
        """Bytes waiting in each end's egress queue of the link node1--node2."""
        link = self.link_between(node1, node2)
        return {intf.node.name: self.queue_stats(intf.node.name, [intf.name])[0]
                for intf in (link.intf1, link.intf2)}

    def dropped(self, node: str, peer: str) -> int:
        """Frames the link node--peer has dropped in the direction node ->
        peer so far (its loss and queue limit), as its realizer counts them."""
        link = self.link_between(node, peer)
        sender = link.intf1 if link.intf1.node.name == node else link.intf2
        counters = link.stats() if hasattr(link, "stats") else {}
        return frames_dropped(counters.get(sender.name, {}))

    def counters(self) -> dict[str, dict]:
        """Relay counters per link (frames relayed, dropped by loss / queue limit)."""
        stats = {}
        for link in self.net.links if self.net else []:
            found = link.stats() if hasattr(link, "stats") else {}
            if found:
                stats[str(link)] = found
        return stats
