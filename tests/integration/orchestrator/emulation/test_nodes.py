"""Hosts and routers set up by one ``ip -batch`` each, however long it is;
the machine's neighbour table made large enough for every host's neighbours."""
import ipaddress
import signal
from contextlib import contextmanager
from pathlib import Path

from mininet.net import Mininet

from orchestrator.emulation.commands import run_in
from orchestrator.emulation.linktest import ping_rtts
from orchestrator.emulation.network import Network
from topologies.builders import internet, star_lan

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


# A LAN whose hosts all reach each other holds HOSTS × (HOSTS - 1) neighbour
# entries: 552, over four times the small table the test gives the machine
# (as 250 peers, 62,250 entries, are to Mininet's 16,384).
HOSTS = 24
SMALL_TABLE = {"gc_thresh1": 32, "gc_thresh2": 64, "gc_thresh3": 128}
NEIGH = "/proc/sys/net/ipv4/neigh/default"


@contextmanager
def machine_neighbour_table(limits: dict[str, int]):
    paths = {name: Path(NEIGH, name) for name in limits}
    original = {name: path.read_text() for name, path in paths.items()}
    try:
        for name in ("gc_thresh3", "gc_thresh2", "gc_thresh1"):   # never thresh1 > thresh3
            paths[name].write_text(f"{limits[name]}\n")
        yield
    finally:
        for name in ("gc_thresh3", "gc_thresh2", "gc_thresh1"):
            paths[name].write_text(original[name])


def test_every_host_of_a_lan_larger_than_the_machines_neighbour_table_reaches_every_other(
        tmp_path, clean_machine):
    Mininet.init()     # once a process: it sets the table's limits (4096, 8192, 16384) first
    with machine_neighbour_table(SMALL_TABLE):
        with Network(star_lan(HOSTS), tmp_path) as net:
            assert int(Path(NEIGH, "gc_thresh3").read_text()) == \
                SMALL_TABLE["gc_thresh3"] + HOSTS * (HOSTS - 1)
            hosts = net.net.hosts
            pings = [host.popen(["sh", "-c", " ".join(
                f"ping -c1 -W2 -q {other.IP()} >/dev/null || echo {other.IP()};"
                for other in hosts if other is not host)]) for host in hosts]
            unreached = {host.name: proc.communicate(timeout=HANG_S)[0].decode().split()
                         for host, proc in zip(hosts, pings, strict=True)}
            assert not any(unreached.values()), unreached
        assert int(Path(NEIGH, "gc_thresh3").read_text()) == SMALL_TABLE["gc_thresh3"]
