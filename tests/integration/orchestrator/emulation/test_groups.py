"""A group of 60 hosts with asymmetric access links, as a BitTorrent swarm
or an access network has them: each direction carries its own rate."""
import pytest

from orchestrator.emulation.linktest import tcp_goodput_mbps
from orchestrator.emulation.network import Network
from topologies.builders import star

pytestmark = pytest.mark.integration

HOSTS = 60
UP_MBPS, DOWN_MBPS = 1.0, 10.0
# iperf3 counts TCP payload: headers take ~4 % of each frame at HTB's rate,
# so goodput sits at 93-100 % of the configured rate (the band).
GOODPUT_BAND = (0.93, 1.00)
SECONDS = 4


def test_sixty_hosts_with_asymmetric_links_carry_each_rate(tmp_path, clean_machine):
    topo = star({"servers": {"hosts": ["server"]},
                 "peers": {"count": HOSTS,
                           "link": {"up": {"bw": UP_MBPS}, "down": {"bw": DOWN_MBPS}}}})
    assert len(topo.groups["peers"]) == HOSTS
    with Network(topo, tmp_path) as net:
        server = net["server"]
        measured = {}
        for peer in ("peer1", "peer30", "peer60"):
            host = net[peer]
            measured[peer, "up"] = tcp_goodput_mbps(host, server, server.IP(), SECONDS)
            measured[peer, "down"] = tcp_goodput_mbps(server, host, host.IP(), SECONDS)
    for (peer, direction), mbps in measured.items():
        configured = UP_MBPS if direction == "up" else DOWN_MBPS
        low, high = GOODPUT_BAND
        assert low * configured <= mbps <= high * configured, (peer, direction, measured)
