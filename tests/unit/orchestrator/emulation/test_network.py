import pytest
from mininet.topo import Topo

from orchestrator.emulation.network import _switch_class, validate_topo
from orchestrator.errors import TopologyError
from topologies import two_hosts


def test_validate_returns_parsed_link_params():
    parsed = validate_topo(two_hosts({"bw": 10, "delay": "20ms"}))
    assert parsed["h1-s1"].up.delay_ms == 20.0 and parsed["s1-h2"].down.bw_mbps is None


def test_validate_keeps_each_direction():
    parsed = validate_topo(two_hosts({"up": {"bw": 1}, "down": {"bw": 10}}))
    assert (parsed["h1-s1"].up.bw_mbps, parsed["h1-s1"].down.bw_mbps) == (1.0, 10.0)


def test_a_plain_mininet_topo_is_validated_too():
    topo = Topo()
    topo.addHost("h1")
    topo.addSwitch("s1")
    topo.addLink("h1", "s1", delay=15)  # Mininet would pass '15' to netem
    with pytest.raises(TopologyError, match="link h1-s1: field 'delay'"):
        validate_topo(topo)


def test_interface_names_must_fit_the_kernel_limit():
    topo = Topo()
    topo.addHost("averylonghostname")
    topo.addSwitch("s1")
    topo.addLink("averylonghostname", "s1")
    with pytest.raises(TopologyError, match="exceeds 15 characters"):
        validate_topo(topo)


def test_unknown_switch_kind():
    with pytest.raises(TopologyError, match="unknown switch kind"):
        _switch_class("hub")
