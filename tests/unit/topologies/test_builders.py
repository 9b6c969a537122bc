import ipaddress

import pytest

from topologies.base import AppTopo
from topologies.builders import (
    AccessNetwork,
    core_internet,
    institutional,
    internet,
    star_lan,
    two_hosts,
)
from topologies.params import LinkParamError


def link_info(topo, a, b):
    return topo.linkInfo(a, b)


def test_two_hosts_puts_the_link_on_h1_s1():
    topo = two_hosts({"bw": 10, "delay": "20ms"})
    assert sorted(topo.hosts()) == ["h1", "h2"] and topo.switches() == ["s1"]
    assert link_info(topo, "h1", "s1")["delay"] == "20ms"
    assert "delay" not in link_info(topo, "s1", "h2")


def test_apptopo_takes_a_mininet_topology_as_written_and_validates_links():
    topo = AppTopo()
    topo.addHost("h1")
    topo.addHost("h2")
    topo.addSwitch("s1")
    topo.addLink("h2", "s1", bw=10, delay="5ms")   # Mininet's own keywords
    assert topo.linkInfo("h2", "s1")["bw"] == 10 and topo.hosts() == ["h1", "h2"]
    topo = AppTopo()
    topo.addHost("h1")
    topo.addSwitch("s1")
    with pytest.raises(LinkParamError) as err:
        topo.addLink("h1", "s1", delay="fast")
    assert err.value.link == "h1-s1" and err.value.field == "delay"


def test_switches_without_digits_get_a_dpid():
    topo = AppTopo()
    topo.addSwitch("lan")
    assert topo.nodeInfo("lan")["dpid"]


def test_star_lan_addresses_one_subnet():
    topo = star_lan(5, link={"bw": 100})
    ips = [ipaddress.ip_interface(topo.nodeInfo(h)["ip"]) for h in topo.hosts()]
    assert len(ips) == 5 and len({ip.network for ip in ips}) == 1
    assert len({ip.ip for ip in ips}) == 5
    with pytest.raises(ValueError):
        star_lan(0)


def test_institutional_network_roles_and_routes():
    topo = institutional(3, lan_link={"bw": 1000}, access_link={"bw": 1.54},
                         internet_link={"delay": "1s"})
    assert topo.isRouter("gw") and topo.isRouter("isp")
    assert topo.hostsWithRole("host") == ["client1", "client2", "client3", "origin"]
    client = topo.nodeInfo("client1")
    gw_lan_ip = link_info(topo, "gw", "lan")["params1"]["ip"].split("/")[0]
    assert client["defaultRoute"] == f"via {gw_lan_ip}"
    origin_net = ipaddress.ip_interface(topo.nodeInfo("origin")["ip"]).network
    gw_routes = dict(topo.nodeInfo("gw")["routes"])
    isp_side = link_info(topo, "gw", "isp")["params2"]["ip"].split("/")[0]
    assert gw_routes[str(origin_net)] == isp_side
    assert link_info(topo, "gw", "isp")["bw"] == 1.54
    assert link_info(topo, "isp", "origin")["delay"] == "1000ms"


def test_core_internet_joins_access_networks_through_the_core():
    topo = core_internet([AccessNetwork("a", 2, access_link={"delay": "5ms"}),
                          AccessNetwork("b", 2)], core_routers=3,
                         core_link={"delay": "10ms"})
    routers = sorted(h for h in topo.hosts() if topo.isRouter(h))
    assert routers == ["a-gw", "b-gw", "r1", "r2", "r3"]
    b_net = ipaddress.ip_interface(topo.nodeInfo("b1")["ip"]).network
    assert str(b_net) in dict(topo.nodeInfo("a-gw")["routes"])
    assert str(b_net) in dict(topo.nodeInfo("r3")["routes"])
    assert topo.nodeInfo("r1")["ip"] is None  # routers are addressed per interface


def test_internet_sites_hang_off_one_core_and_rtts_add_up():
    topo = internet({"nyu": {"access_link": {"delay": "5ms"}, "lan_link": {"delay": "1ms"},
                             "hosts": ["client", "local-dns"]},
                     "root": {"access_link": {"delay": "30ms"}, "hosts": ["root"]}})
    assert {"core", "nyu-gw", "root-gw", "nyu-sw", "root-sw"} <= set(topo.nodes())
    assert topo.rttMs("client", "local-dns") == 4.0          # two 1 ms LAN links, each way
    assert topo.rttMs("local-dns", "root") == 2 * (1 + 5 + 30)
    assert topo.rttMs("root", "root") == 0.0


def test_an_internet_site_numbers_its_hosts_beside_the_listed_ones():
    topo = internet({"east": {"hosts": ["edge-east"], "count": 3, "prefix": "ve"}})
    assert {"edge-east", "ve1", "ve2", "ve3"} <= set(topo.hosts()) and "ve4" not in topo.hosts()
    # The site's name stands for all its hosts, unless a host has it.
    assert topo.groups["east"] == ["edge-east", "ve1", "ve2", "ve3"]
    assert "root" not in internet({"root": {"hosts": ["root"]}}).groups
    with pytest.raises(ValueError, match="count must be a whole number"):
        internet({"east": {"count": 0}})


def test_internet_refuses_a_site_it_cannot_build():
    with pytest.raises(ValueError, match="site 'x' has no hosts"):
        internet({"x": {"access_link": {"delay": "5ms"}}})
    with pytest.raises(ValueError, match="unknown keys \\['link'\\]"):
        internet({"x": {"hosts": ["h"], "link": {}}})


def test_star_groups_by_count_and_by_name():
    from topologies.builders import star
    topo = star({"tracker": {"hosts": ["tracker"]},
                 "peers": {"count": 3, "link": {"up": {"bw": 1}, "down": {"bw": 10}}}})
    assert topo.groups == {"peers": ["peer1", "peer2", "peer3"]}
    assert sorted(topo.hosts()) == ["peer1", "peer2", "peer3", "tracker"]
    link = topo.linkDirections("s1", "peer2")
    assert (link.up.bw_mbps, link.down.bw_mbps) == (1.0, 10.0)  # up leaves the peer


@pytest.mark.parametrize("groups, message", [
    ({"peers": {"count": 0}}, "count must be"),
    ({"peers": {"count": 2, "hosts": ["a"]}}, "not both"),
    ({"peers": {"size": 2}}, "unknown key .size."),
    ({"peers": {"count": 70000}}, "largest is a /16"),
])
def test_star_refuses_bad_groups(groups, message):
    from topologies.builders import star
    with pytest.raises(ValueError, match=message):
        star(groups)


def test_a_star_of_a_thousand_hosts_shares_one_subnet_large_enough():
    from topologies.builders import star
    topo = star({"tracker": {"hosts": ["tracker"]}, "peers": {"count": 999}})
    addresses = {ipaddress.ip_interface(topo.nodeInfo(h)["ip"]) for h in topo.hosts()}
    assert len(addresses) == 1000
    assert {a.network for a in addresses} == {ipaddress.ip_network("10.0.4.0/22")}


def test_a_star_takes_the_subnet_a_spec_names_and_refuses_one_too_small():
    from topologies.builders import BuilderError, star
    topo = star({"peers": {"count": 300}}, subnet="172.20.0.0/23")
    assert topo.nodeInfo("peer300")["ip"] == "172.20.1.44/23"
    with pytest.raises(BuilderError, match="510 usable addresses; its LAN needs 600") as err:
        star({"peers": {"count": 600}}, subnet="172.20.0.0/23")
    assert err.value.where == ("subnet",)


def test_large_sites_get_larger_subnets_and_routes_reach_them():
    topo = internet({"swarm": {"count": 500, "access_link": {"delay": "5ms"}},
                     "campus": {"hosts": ["server"], "subnet": "10.64.0.0/24"},
                     "edge": {"count": 2}})
    networks = {site: ipaddress.ip_interface(topo.nodeInfo(host)["ip"]).network
                for site, host in (("swarm", "swarm500"), ("campus", "server"),
                                   ("edge", "edge2"))}
    assert networks["swarm"].prefixlen == 23 and networks["edge"].prefixlen == 24
    assert networks["campus"] == ipaddress.ip_network("10.64.0.0/24")
    assert not networks["swarm"].overlaps(networks["edge"])
    assert {net for net, _ in topo.nodeInfo("core")["routes"]} == {
        str(n) for n in networks.values()}


def test_a_site_subnet_that_overlaps_another_is_named_with_its_field():
    from topologies.builders import BuilderError
    with pytest.raises(BuilderError, match="overlaps 10.64.0.0/24") as err:
        internet({"a": {"hosts": ["x"], "subnet": "10.64.0.0/24"},
                  "b": {"hosts": ["y"], "subnet": "10.64.0.128/25"}})
    assert err.value.where == ("sites", "b", "subnet")


def test_an_asymmetric_link_counts_each_direction_in_the_rtt():
    from topologies.builders import star
    topo = star({"hs": {"count": 2, "link": {"up": {"delay": "1ms"}, "down": {"delay": "3ms"}}}})
    assert topo.rttMs("h1", "h2") == 8.0


def test_a_server_may_have_its_own_link_beyond_the_isp():
    topo = institutional(2, {"bw": 1000}, {"bw": 1.54}, {"delay": "1s"},
                         servers=("origin", "root"), server_links={"root": {"delay": "10ms"}})
    assert topo.rttMs("client1", "origin") == 2000.0
    assert topo.rttMs("client1", "root") == 20.0
    with pytest.raises(ValueError, match="'dns' is not one of the servers"):
        institutional(1, {}, {}, {}, servers=("origin",), server_links={"dns": {}})
