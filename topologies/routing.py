"""Static routes for routers, computed from their interface addresses (pure)."""
from __future__ import annotations

import ipaddress
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class RouterInterface:
    address: ipaddress.IPv4Address
    network: ipaddress.IPv4Network

    @classmethod
    def parse(cls, cidr: str) -> RouterInterface:
        iface = ipaddress.ip_interface(cidr)
        return cls(iface.ip, iface.network)


Route = tuple[ipaddress.IPv4Network, ipaddress.IPv4Address]


def compute_static_routes(
        routers: dict[str, list[RouterInterface]]) -> dict[str, list[Route]]:
    """For each router, a route to every network another router is attached
    to, via the first hop of a fewest-hops path. Two routers are neighbours
    when they share a network; the next hop is the neighbour's address there."""
    attached = {r: {i.network for i in ifaces} for r, ifaces in routers.items()}
    neighbours: dict[str, list[tuple[str, ipaddress.IPv4Address]]] = {r: [] for r in routers}
    for router in routers:
        for other, other_ifaces in routers.items():
            if other == router:
                continue
            for iface in other_ifaces:
                if iface.network in attached[router]:
                    neighbours[router].append((other, iface.address))

    tables: dict[str, list[Route]] = {}
    for router in sorted(routers):
        first_hop: dict[str, ipaddress.IPv4Address] = {}
        hops: dict[str, int] = {}
        queue = deque()
        for neighbour, via in sorted(neighbours[router], key=lambda n: (n[0], n[1])):
            if neighbour not in first_hop:
                first_hop[neighbour], hops[neighbour] = via, 1
                queue.append(neighbour)
        while queue:
            current = queue.popleft()
            for neighbour, _ in sorted(neighbours[current], key=lambda n: (n[0], n[1])):
                if neighbour != router and neighbour not in first_hop:
                    first_hop[neighbour] = first_hop[current]
                    hops[neighbour] = hops[current] + 1
                    queue.append(neighbour)
        table: dict[ipaddress.IPv4Network, ipaddress.IPv4Address] = {}
        # Nearest routers first, so a network attached twice goes the short way.
        for reached in sorted(first_hop, key=lambda r: (hops[r], r)):
            for network in sorted(attached[reached]):
                if network not in attached[router] and network not in table:
                    table[network] = first_hop[reached]
        tables[router] = sorted(table.items())
    return tables
