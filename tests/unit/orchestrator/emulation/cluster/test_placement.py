"""Placing a topology's nodes on machines."""
import pytest

from orchestrator.emulation.cluster.placement import (
    COORDINATOR,
    PlacementError,
    crossing_links,
    place,
)
from topologies import builders
from topologies.base import AppTopo

ACCESS = dict(clients=3, lan_link={"bw": 1000}, access_link={"bw": 1.54},
              internet_link={"delay": "1s"}, servers=("origin", "root"),
              lan_servers=("cache",))


def institutional():
    return builders.institutional(**ACCESS)


def test_clients_here_and_servers_there_cross_only_at_the_access_link():
    topo = institutional()
    placed = place(topo, {"isp": "servers", "origin": "servers", "root": "servers"},
                   ["servers"])
    assert placed["client1"] == placed["lan"] == placed["gw"] == COORDINATOR
    assert placed["isp"] == placed["origin"] == "servers"
    assert crossing_links(topo, placed) == [("gw", "isp")]


def test_a_group_places_all_its_hosts():
    topo = institutional()
    placed = place(topo, {"clients": "m2"}, ["m2"])
    assert {placed[f"client{i}"] for i in (1, 2, 3)} == {"m2"}
    assert placed["lan"] == "m2"      # most of its hosts are there
    assert placed["cache"] == COORDINATOR


@pytest.mark.parametrize("placement, machines, says", [
    ({"orign": "servers"}, ["servers"], "no host or group 'orign'"),
    ({"origin": "servrs"}, ["servers"], "no machine 'servrs' (machines: local, servers)"),
])
def test_unknown_nodes_and_machines_are_named(placement, machines, says):
    with pytest.raises(PlacementError, match=r"" + says.replace("(", r"\(").replace(")", r"\)")):
        place(institutional(), placement, machines)


def test_a_placer_places_what_the_spec_leaves():
    topo = institutional()
    placed = place(topo, {"origin": "m2"}, ["m2"], placer="round-robin")
    assert set(placed) == set(topo.nodes()) and placed["origin"] == "m2"
    assert set(placed.values()) == {COORDINATOR, "m2"}


def test_switch_bin_splits_the_switches_and_keeps_hosts_with_theirs():
    topo = AppTopo()
    topo.addLan("s1", ["h1", "h2"])
    topo.addLan("s2", ["h3", "h4"])
    topo.addLink("s1", "s2")
    placed = place(topo.finalize(), {}, ["m2"], placer="switch-bin")
    assert placed["s1"] == placed["h1"] == placed["h2"] == COORDINATOR
    assert placed["s2"] == placed["h3"] == placed["h4"] == "m2"
    assert crossing_links(topo, placed) == [("s1", "s2")]


def test_a_placer_that_cannot_place_a_host_says_so():
    with pytest.raises(PlacementError, match="switch-bin placer cannot place this topology"):
        place(institutional(), {}, ["m2"], placer="switch-bin")
