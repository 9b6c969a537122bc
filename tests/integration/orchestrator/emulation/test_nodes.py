"""Hosts and routers set up by one ``ip -batch`` each, however long it is."""
import ipaddress
import signal
from contextlib import contextmanager

from orchestrator.emulation.commands import run_in
from orchestrator.emulation.linktest import ping_rtts
from orchestrator.emulation.network import Network
from topologies.builders import internet

# Enough sites that the core router's routes, and its neighbours, run past a
# shell line's 4096 bytes (some 45 and 70 bytes a site).
SITES = 120
# A batch cut by the shell's line never ends; bring-up of this size takes
# seconds, so a minute means it hung.
HANG_S = 60


@contextmanager
def fails_if_hung(seconds: float):
    def hung(_signum, _frame):
        raise TimeoutError(f"still running after {seconds} s: hung")
    previous = signal.signal(signal.SIGALRM, hung)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_core_router_of_many_sites_gets_every_route_and_neighbour(tmp_path, clean_machine):
    topo = internet({f"s{i}": {"hosts": [f"h{i}"]} for i in range(1, SITES + 1)})
    net = Network(topo, tmp_path)
    try:
        with fails_if_hung(HANG_S):
            net.start()
            net.fill_neighbour_tables()
        core = net["core"]
        routed = {ipaddress.ip_network(line.split()[0])
                  for line in run_in(core, ["ip", "route", "show"]).splitlines()
                  if " via " in line}
        lans = {ipaddress.ip_interface(f"{host.IP()}/{host.defaultIntf().prefixLen}").network
                for host in (net[f"h{i}"] for i in range(1, SITES + 1))}
        assert lans <= routed
        permanent = run_in(core, ["ip", "neigh", "show", "nud", "permanent"]).splitlines()
        assert len(permanent) == SITES
        assert len(ping_rtts(net["h1"], net[f"h{SITES}"].IP(), 2, 0.2)) == 2
    finally:
        net.stop()
