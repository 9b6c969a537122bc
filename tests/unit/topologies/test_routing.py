import ipaddress

from topologies.routing import RouterInterface, compute_static_routes


def iface(cidr):
    return RouterInterface.parse(cidr)


def net(cidr):
    return ipaddress.ip_network(cidr)


def test_chain_routes_go_through_the_first_hop():
    # lanA - r1 - r2 - r3 - lanB
    routers = {
        "r1": [iface("10.1.0.1/24"), iface("10.250.0.1/30")],
        "r2": [iface("10.250.0.2/30"), iface("10.250.0.5/30")],
        "r3": [iface("10.250.0.6/30"), iface("10.2.0.1/24")],
    }
    routes = compute_static_routes(routers)
    assert dict(routes["r1"]) == {net("10.250.0.4/30"): ipaddress.ip_address("10.250.0.2"),
                                  net("10.2.0.0/24"): ipaddress.ip_address("10.250.0.2")}
    assert dict(routes["r2"]) == {net("10.1.0.0/24"): ipaddress.ip_address("10.250.0.1"),
                                  net("10.2.0.0/24"): ipaddress.ip_address("10.250.0.6")}
    assert dict(routes["r3"])[net("10.1.0.0/24")] == ipaddress.ip_address("10.250.0.5")


def test_a_network_reached_twice_goes_the_short_way():
    # r1 - r2 - r3 and r1 - r3 directly: lan behind r3 goes straight to r3.
    routers = {
        "r1": [iface("10.250.0.1/30"), iface("10.250.0.9/30")],
        "r2": [iface("10.250.0.2/30"), iface("10.250.0.5/30")],
        "r3": [iface("10.250.0.6/30"), iface("10.250.0.10/30"), iface("10.3.0.1/24")],
    }
    routes = dict(compute_static_routes(routers)["r1"])
    assert routes[net("10.3.0.0/24")] == ipaddress.ip_address("10.250.0.10")


def test_no_routes_for_directly_attached_networks():
    routers = {"r1": [iface("10.1.0.1/24")], "r2": [iface("10.1.0.2/24")]}
    assert compute_static_routes(routers) == {"r1": [], "r2": []}
