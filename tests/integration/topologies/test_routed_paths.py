"""Routers forward across the emulated core; delays add up along the path."""
from orchestrator.emulation.linktest import ping_rtts
from orchestrator.emulation.network import Network
from topologies.builders import AccessNetwork, core_internet, institutional

RTT_ABS_TOLERANCE_MS = 0.5 * 4  # ±0.5 ms per relayed hop pair, four impaired links
RTT_REL_TOLERANCE = 0.02


def test_three_router_path_sums_its_delays(tmp_path, clean_machine):
    topo = core_internet([AccessNetwork("a", 1, access_link={"delay": "5ms"}),
                          AccessNetwork("b", 1),
                          AccessNetwork("c", 1, access_link={"delay": "7ms"})],
                         core_routers=3, core_link={"delay": "10ms"})
    with Network(topo, tmp_path) as net:
        src, dst = net["a1"], net["c1"].IP()
        ping_rtts(src, dst, 3, 0.1)
        rtts = sorted(ping_rtts(src, dst, 30, 0.02))
        traceroute_hops = src.cmd(f"ip route get {dst}")
    expected = 2 * (5 + 10 + 10 + 7)
    median = rtts[len(rtts) // 2]
    assert abs(median - expected) <= RTT_ABS_TOLERANCE_MS + RTT_REL_TOLERANCE * expected
    assert "via" in traceroute_hops


def test_institutional_clients_reach_the_origin(tmp_path, clean_machine):
    topo = institutional(2, lan_link={"bw": 1000}, access_link={"bw": 1.54},
                         internet_link={"delay": "20ms"})
    with Network(topo, tmp_path) as net:
        for client in ("client1", "client2"):
            rtts = ping_rtts(net[client], net["origin"].IP(), 5, 0.05)
            assert len(rtts) == 5 and min(rtts) >= 40.0
