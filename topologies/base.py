"""AppTopo: a Mininet ``Topo`` (pure data) with roles, routers and addressing.

Anything written for Mininet's ``Topo`` (``addHost``/``addSwitch``/
``addLink(bw=, delay=)``) works here as it is; AppTopo adds:

- a ``role`` on every host ("host", "router", or a service role);
- routers: hosts with IP forwarding and static routes computed from the graph;
- subnets handed out by an address plan, so builders need not number by hand
  (a /24 per LAN, larger where its hosts need it, or one a spec names);
- link parameters validated when the link is added, per direction where they
  differ (``up`` leaves the first end: builders put the host first);
- named groups of hosts (``peers``: peer1..peer30) that specs may name.
"""
from __future__ import annotations

import ipaddress
import itertools
from collections import deque

from mininet.topo import Topo

from topologies.params import DIRECTIONS, LINK_PARAM_KEYS, link_from_info, parse_link
from topologies.routing import RouterInterface, compute_static_routes

ROUTER_ROLE = "router"
UNNUMBERED_DPID_BASE = 0xA0000000000000


class AddressPlanError(ValueError):
    """A subnet the address plan cannot give: too large, taken, or none left."""


class AddressPlan:
    """Hands out LAN subnets and router-to-router /30s. A LAN is a /24 unless
    its hosts need more: then the smallest aligned block that holds them, up
    to a /16. A builder may reserve a subnet a spec names before the rest are
    handed out."""

    LAN_SUPERNET = ipaddress.ip_network("10.0.0.0/9")
    TRANSIT_SUPERNET = ipaddress.ip_network("10.250.0.0/16")
    SMALLEST_LAN_PREFIX = 24
    LARGEST_LAN_PREFIX = 16

    def __init__(self):
        self._taken: list[ipaddress.IPv4Network] = [
            ipaddress.ip_network("10.0.0.0/24"),  # Mininet's own default range
            self.TRANSIT_SUPERNET]
        self._next_lan = int(self.LAN_SUPERNET.network_address)
        self._transits = self.TRANSIT_SUPERNET.subnets(new_prefix=30)

    @classmethod
    def prefix_for(cls, addresses: int) -> int:
        """The longest prefix, no longer than a /24, with ``addresses`` usable
        addresses (network and broadcast excluded)."""
        needed = max(addresses + 2, 2 ** (32 - cls.SMALLEST_LAN_PREFIX))
        prefix = 32 - (needed - 1).bit_length()
        if prefix < cls.LARGEST_LAN_PREFIX:
            largest = 2 ** (32 - cls.LARGEST_LAN_PREFIX) - 2
            raise AddressPlanError(
                f"{addresses} addresses do not fit one LAN: the address plan's largest "
                f"is a /{cls.LARGEST_LAN_PREFIX} ({largest:,} addresses)")
        return prefix

    def lan(self, addresses: int = 1) -> ipaddress.IPv4Network:
        """The next free subnet with ``addresses`` usable addresses."""
        prefix = self.prefix_for(addresses)
        size = 2 ** (32 - prefix)
        start = -(-self._next_lan // size) * size  # aligned to its own size
        while True:
            subnet = ipaddress.ip_network((start, prefix))
            if not subnet.subnet_of(self.LAN_SUPERNET):
                raise AddressPlanError(
                    f"the address plan's LAN range {self.LAN_SUPERNET} has no free "
                    f"/{subnet.prefixlen} left")
            clash = next((t for t in self._taken if t.overlaps(subnet)), None)
            if clash is None:
                break
            start = -(-int(clash.broadcast_address + 1) // size) * size
        self._taken.append(subnet)
        self._next_lan = int(subnet.broadcast_address) + 1
        return subnet

    def reserve(self, cidr: str, addresses: int) -> ipaddress.IPv4Network:
        """The subnet ``cidr`` a spec names, for ``addresses`` usable addresses."""
        try:
            subnet = ipaddress.IPv4Network(cidr)
        except ValueError as exc:
            raise AddressPlanError(f"subnet {cidr!r} is not an IPv4 network "
                                   f"(e.g. 10.8.0.0/22): {exc}") from None
        if not subnet.is_private:
            raise AddressPlanError(f"subnet {subnet} is not a private range: emulated "
                                   "hosts use private addresses")
        if subnet.prefixlen < self.LARGEST_LAN_PREFIX:
            raise AddressPlanError(f"subnet {subnet} is larger than the address plan's "
                                   f"largest LAN, a /{self.LARGEST_LAN_PREFIX}")
        if subnet.num_addresses - 2 < addresses:
            raise AddressPlanError(f"subnet {subnet} has {subnet.num_addresses - 2} "
                                   f"usable addresses; its LAN needs {addresses}")
        clash = next((t for t in self._taken if t.overlaps(subnet)), None)
        if clash is not None:
            raise AddressPlanError(f"subnet {subnet} overlaps {clash}, already in the plan")
        self._taken.append(subnet)
        return subnet

    def transit(self) -> ipaddress.IPv4Network:
        return next(self._transits)


def link_name(node1: str, node2: str) -> str:
    return f"{node1}-{node2}"


class AppTopo(Topo):
    """Topology as pure data. Builders call ``finalize()`` after the last link."""

    def __init__(self, *args, **params):
        self.addresses = AddressPlan()
        self.groups: dict[str, list[str]] = {}
        super().__init__(*args, **params)

    def addGroup(self, name: str, hosts: list[str]) -> list[str]:
        """Name a set of hosts, so a spec may say ``peers`` for all of them."""
        if name in self.groups or name in self.nodes():
            raise ValueError(f"group {name!r} clashes with a node or group of that name")
        self.groups[name] = list(hosts)
        return self.groups[name]

    # Nodes

    def addHost(self, name, role: str = "host", **opts):
        return super().addHost(name, role=role, **opts)

    def addSwitch(self, name, **opts):
        # Mininet derives a switch's datapath id from the digits in its name;
        # names without digits ("lan") get one from a range names cannot reach.
        if "dpid" not in opts and not any(c.isdigit() for c in name):
            opts["dpid"] = f"{UNNUMBERED_DPID_BASE + len(self.switches()):016x}"
        return super().addSwitch(name, **opts)

    def addRouter(self, name, **opts):
        # ip=None: a router's addresses are per interface, set on its links.
        return self.addHost(name, role=ROUTER_ROLE, ip=None, forwarding=True,
                            routes=[], **opts)

    def isRouter(self, name) -> bool:
        return self.nodeInfo(name).get("role") == ROUTER_ROLE

    def role(self, name) -> str | None:
        return self.nodeInfo(name).get("role")

    def hostsWithRole(self, role: str) -> list[str]:
        return [h for h in self.hosts() if self.role(h) == role]

    # Links

    def addLink(self, node1, node2, port1=None, port2=None, key=None, **opts):
        directions = parse_link(link_name(node1, node2), opts)
        for key_name in (*LINK_PARAM_KEYS, *DIRECTIONS):
            opts.pop(key_name, None)
        if directions.symmetric:
            opts.update(directions.up.mininet_kwargs())
        else:  # each end's egress: Mininet's per-interface params
            opts["params1"] = {**opts.get("params1", {}), **directions.up.mininet_kwargs()}
            opts["params2"] = {**opts.get("params2", {}), **directions.down.mininet_kwargs()}
        return super().addLink(node1, node2, port1, port2, key, **opts)

    def linkDirections(self, node1: str, node2: str):
        """The parameters of the link node1--node2, per direction as added."""
        info = self.linkInfo(node1, node2)
        return link_from_info(link_name(info["node1"], info["node2"]), info)

    # Building blocks

    def addLan(self, switch: str, hosts: list[str], gateway: str | None = None,
               host_link: dict | None = None, role: str = "host",
               subnet: ipaddress.IPv4Network | None = None, **host_opts):
        """Hosts on one switch in a fresh subnet (a /24 unless they need more),
        or in ``subnet`` (reserved from the plan). With ``gateway`` (a router),
        the router takes the first address and is every host's default route."""
        subnet = subnet or self.addresses.lan(len(hosts) + bool(gateway))
        addrs = subnet.hosts()
        gateway_ip = next(addrs) if gateway else None
        self.addSwitch(switch)
        if gateway:
            self.addLink(gateway, switch,
                         params1={"ip": f"{gateway_ip}/{subnet.prefixlen}"})
        for host in hosts:
            opts = dict(host_opts)
            opts["ip"] = f"{next(addrs)}/{subnet.prefixlen}"
            if gateway:
                opts["defaultRoute"] = f"via {gateway_ip}"
            self.addHost(host, role=role, **opts)
            self.addLink(host, switch, **(host_link or {}))
        return subnet

    def connectRouters(self, router1: str, router2: str, **link_opts):
        """A point-to-point link between two routers in a fresh /30."""
        subnet = self.addresses.transit()
        ip1, ip2 = list(subnet.hosts())
        self.addLink(router1, router2,
                     params1={"ip": f"{ip1}/{subnet.prefixlen}"},
                     params2={"ip": f"{ip2}/{subnet.prefixlen}"}, **link_opts)
        return subnet

    def addServer(self, name: str, router: str, role: str = "host", **link_opts):
        """One host on its own /24 directly behind ``router``."""
        subnet = self.addresses.lan(2)
        gateway_ip, host_ip = itertools.islice(subnet.hosts(), 2)
        self.addHost(name, role=role, ip=f"{host_ip}/{subnet.prefixlen}",
                     defaultRoute=f"via {gateway_ip}")
        self.addLink(name, router,  # the host first: its upload is the link's up
                     params2={"ip": f"{gateway_ip}/{subnet.prefixlen}"}, **link_opts)
        return subnet

    def path(self, node1: str, node2: str) -> list[str]:
        """The nodes of the fewest-hop path from node1 to node2, both included."""
        neighbours: dict[str, list[str]] = {}
        for a, b in self.links():
            neighbours.setdefault(a, []).append(b)
            neighbours.setdefault(b, []).append(a)
        previous = {node1: None}
        frontier = deque([node1])
        while frontier:
            node = frontier.popleft()
            for neighbour in neighbours.get(node, []):
                if neighbour not in previous:
                    previous[neighbour] = node
                    frontier.append(neighbour)
        if node2 not in previous:
            raise ValueError(f"no path from {node1} to {node2}")
        nodes = [node2]
        while previous[nodes[-1]] is not None:
            nodes.append(previous[nodes[-1]])
        return nodes[::-1]

    def rttMs(self, node1: str, node2: str) -> float:
        """Round-trip propagation delay between two nodes along the fewest-hop
        path: each link's delay in each of its directions, as in TCLink."""
        hops = self.path(node1, node2)
        return sum(self.linkDirections(a, b).rtt_ms for a, b in itertools.pairwise(hops))

    def rateMbps(self, node1: str, node2: str) -> float | None:
        """The smallest rate on the path in the direction node1 -> node2 (the
        bottleneck); None if no link on it limits the rate."""
        hops = self.path(node1, node2)
        rates = []
        for a, b in itertools.pairwise(hops):
            info = self.linkInfo(a, b)
            directions = self.linkDirections(a, b)
            leaving = directions.leaving(first_end=info["node1"] == a)
            if leaving.bw_mbps is not None:
                rates.append(leaving.bw_mbps)
        return min(rates, default=None)

    # Routing

    def routerInterfaces(self) -> dict[str, list[RouterInterface]]:
        interfaces: dict[str, list[RouterInterface]] = {
            r: [] for r in self.hosts() if self.isRouter(r)}
        for _, _, info in self.links(withInfo=True):
            for node, params in ((info["node1"], info.get("params1")),
                                 (info["node2"], info.get("params2"))):
                if node in interfaces and params and params.get("ip"):
                    interfaces[node].append(RouterInterface.parse(params["ip"]))
        return interfaces

    def finalize(self):
        """Compute every router's static routes from the graph."""
        routes = compute_static_routes(self.routerInterfaces())
        for router, table in routes.items():
            self.nodeInfo(router)["routes"] = [(str(net), str(via)) for net, via in table]
        return self
