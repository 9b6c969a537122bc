import pytest
from mininet.topo import Topo

from orchestrator.emulation.network import _check_switch_kind, validate_topo
from orchestrator.errors import TopologyError
from topologies.builders import two_hosts


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
        _check_switch_kind("hub", controlled=False)


def test_a_controller_needs_open_vswitch():
    with pytest.raises(TopologyError, match="needs Open vSwitch"):
        _check_switch_kind("lxbr", controlled=True)
    _check_switch_kind("ovs-user", controlled=True)


def test_a_link_change_reaches_the_interface_of_the_direction_asked_for_whatever_the_names():
    from types import SimpleNamespace

    from orchestrator.emulation.linkcontrol import LinkControl
    from topologies import builders

    topo = builders.internet({"home": {"hosts": ["viewer"],
                                       "access_link": {"up": {"bw": 10}, "down": {"bw": 5}}}})
    changed = []

    class Intf:
        def __init__(self, node):
            self.node = SimpleNamespace(name=node)

        def change(self, old, new):
            changed.append((self.node.name, old.bw_mbps, new.bw_mbps))

    control = LinkControl(validate_topo(topo))
    link = SimpleNamespace(intf1=Intf("home-gw"), intf2=Intf("core"))
    control.link_between = lambda a, b: link
    control.set("home-gw", "core", {"down": {"bw": 1.2}})
    # "down" is core -> home-gw: the core's end sends it.
    assert changed == [("core", 5.0, 1.2)]
