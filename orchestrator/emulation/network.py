"""Network bring-up and teardown: a Topo (pure data) becomes running Mininet.

This is the only layer (with the link realizers it owns) that imports mininet.
"""
from __future__ import annotations

import ipaddress
import json
import signal
from collections import defaultdict
from collections.abc import Mapping
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path

from mininet.net import Mininet

from orchestrator.emulation import SWITCH_KINDS, state
from orchestrator.emulation.cluster.machines import Machine
from orchestrator.emulation.cluster.placement import COORDINATOR
from orchestrator.emulation.cluster.share import ClusterShare
from orchestrator.emulation.commands import command_log, neighbour_line, run_root
from orchestrator.emulation.containers.backend import ContainerHosts
from orchestrator.emulation.containers.hosts import ContainerSpec
from orchestrator.emulation.linkcontrol import LinkControl
from orchestrator.emulation.links.realizers import choose_realizer, link_class
from orchestrator.emulation.nodes import (
    AppBridge,
    AppHost,
    AppOVSSwitch,
    ensure_ovs,
    ovs_datapath,
)
from orchestrator.emulation.recorded import RecordedCluster, RecordedMininet
from orchestrator.emulation.sandbox import Sandbox
from orchestrator.emulation.sdn.controller import LAUNCHER as CONTROLLER_MARK
from orchestrator.emulation.sdn.controller import OpenFlowController
from orchestrator.emulation.settings import DEFAULT_TCP_CONGESTION, MachineSettings
from orchestrator.errors import (
    AppLabError,
    LeftoverError,
    RelayError,
    TopologyError,
)
from topologies.params import LinkDirections, LinkParamError, link_from_info

# Linux caps interface names at 15 characters; Mininet names them NODE-ethN.
IFNAME_MAX = 15


def validate_topo(topo) -> dict[str, LinkDirections]:
    """Check every link's parameters and every name before anything starts.
    Returns the parsed parameters of each link, by link name (first end first)."""
    parsed = {}
    degree = {node: 0 for node in topo.nodes()}
    for node1, node2 in topo.links():
        degree[node1] += 1
        degree[node2] += 1
    for node, ports in degree.items():
        longest = f"{node}-eth{max(ports - 1, 0)}"
        if len(longest) > IFNAME_MAX:
            raise TopologyError(f"node {node!r}: interface name {longest!r} exceeds "
                                f"{IFNAME_MAX} characters; use a shorter node name")
    for _, _, info in topo.links(withInfo=True):
        name = f"{info['node1']}-{info['node2']}"
        try:
            parsed[name] = link_from_info(name, info)
        except LinkParamError as exc:
            raise TopologyError(str(exc)) from exc
    return parsed


def _check_switch_kind(kind: str, controlled: bool) -> None:
    if kind not in SWITCH_KINDS:
        raise TopologyError(f"unknown switch kind {kind!r}: use one of {', '.join(SWITCH_KINDS)}")
    if kind == "lxbr" and controlled:
        raise TopologyError("a controller needs Open vSwitch switches: use switch "
                            "'ovs' or 'ovs-user'")


def _switch_class(datapath: str | None, controlled: bool):
    """A Linux bridge (``datapath`` None), or Open vSwitch on ``datapath``;
    ``controlled``: OpenFlow 1.3 switches that forward only as the controller
    says (fail-mode secure: no learning of their own when it is gone)."""
    if datapath is None:
        return AppBridge
    openflow = {"failMode": "secure", "protocols": "OpenFlow13"} if controlled else {}
    return partial(AppOVSSwitch, datapath=datapath, **openflow)


def root_namespace_snapshot() -> dict:
    """Addresses and routes of the root namespace, to prove a run left them alone."""
    addrs = json.loads(run_root(["ip", "-j", "addr", "show"]).stdout)
    routes = json.loads(run_root(["ip", "-j", "route", "show", "table", "all"]).stdout)
    return {
        "addresses": sorted(f"{a['ifname']} {i['local']}/{i['prefixlen']}"
                            for a in addrs for i in a.get("addr_info", [])),
        "routes": sorted(json.dumps(r, sort_keys=True) for r in routes),
    }


@contextmanager
def signals_deferred():
    """Hold off SIGINT/SIGTERM while tearing down, so a second Ctrl-C cannot
    leave the network half removed."""
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class Network:
    """A running emulation of ``topo``. Use as a context manager, or call
    ``start()`` and (always, in ``finally``) ``stop()``."""

    def __init__(self, topo, run_dir: Path, realizer: str | None = None, switch: str = "lxbr",
                 tcp_congestion: str = DEFAULT_TCP_CONGESTION,
                 containers: dict[str, ContainerSpec] | None = None,
                 controller_app: Path | None = None,
                 machines: dict[str, Machine] | None = None,
                 placement: dict[str, str] | None = None,
                 links: Mapping[str, type] | None = None, say=print):
        """``controller_app``: a Ryu-API app file; the switches are then
        OpenFlow switches under it (sdn.controller). ``machines``: workers
        beside this machine, and ``placement`` the machine of each node
        (cluster.placement.place); links between two machines are tunnels.
        ``links``: realizers beside the built-in ones, name -> Link class."""
        # Each link's parameters now, changed at run time through it.
        self.link_control = LinkControl(validate_topo(topo))
        self.cluster = ClusterShare(topo, self.link_control.links, machines or {},
                                    {node: (placement or {}).get(node, COORDINATOR)
                                     for node in topo.nodes()})
        self.containers = containers or {}
        self.container_hosts = ContainerHosts(self.containers, say)
        self.say = say
        self._engine = ExitStack()
        self.topo = topo
        self.run_dir = Path(run_dir).resolve()
        _check_switch_kind(switch, controlled=controller_app is not None)
        self.switch_kind = switch
        self.realizer = choose_realizer(realizer, links)
        self.link_class = link_class(self.realizer, links)
        self.cluster.check(switch, netem=self.link_class.needs_sch_netem)
        self.datapath: str | None = None  # Open vSwitch's, once chosen at start
        self.controller_app = controller_app
        self.controller: OpenFlowController | None = None
        self.tcp_congestion = tcp_congestion
        self.net: Mininet | None = None
        self.link_stats: dict[str, dict] = {}
        self._state: state.RunState | None = None
        self._settings: MachineSettings | None = None
        self._sandboxes: list[Sandbox] = []
        self._logging = ExitStack()
        self._stopped = False

    # Bring-up

    def start(self) -> Network:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self):
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._logging.enter_context(command_log(self.run_dir / "commands.log"))
        self.cluster.connect()
        for host in self.topo.hosts():
            (self.run_dir / "hosts" / host).mkdir(parents=True, exist_ok=True)
        self._state = state.RunState.create(self.run_dir, switches=list(self.topo.switches()))
        self._settings = MachineSettings(self._state)
        self._settings.hold()
        if self.switch_kind != "lxbr":
            self.datapath = ovs_datapath(self.switch_kind)
            ensure_ovs()
        self.container_hosts.start(self._engine)
        mininet = RecordedMininet
        classes = {"host": partial(AppHost, tx_offload=self.datapath != "user"),
                   "switch": _switch_class(self.datapath, self.controller_app is not None)}
        if self.cluster.workers:    # Linux bridges only (ClusterShare.check)
            mininet = RecordedCluster
            classes = self.cluster.mininet_params(self._state, tx_offload=True)
        self.net = mininet(self._state, containers=self.containers,
                           make_container=self._make_container, topo=None,
                           link=self.link_class, controller=None, autoSetMacs=True,
                           build=False, waitConnected=False, **classes)
        self.net.topo = self.topo
        self.link_control.net = self.net
        self.net.build()
        self._settings.make_neighbour_room(self.neighbour_entries())
        self._set_tcp_congestion()
        if self.controller_app is not None:
            # Mininet starts its controllers first, stops them in net.stop().
            self.controller = OpenFlowController(
                self.controller_app, self.run_dir,
                on_process=lambda proc: self._state.record("controller", proc.pid,
                                                           CONTROLLER_MARK))
            self.net.controllers.append(self.controller)
        self.net.start()
        if self.controller is not None:
            self.controller.wait_connected({int(s.dpid, 16) for s in self.net.switches})

    def _make_container(self, name: str):
        return self.container_hosts.make(name, self._state.path.name,
                                         mounts=[str(self.run_dir), str(state.STATE_ROOT)])

    def _set_tcp_congestion(self):
        """New namespaces inherit the machine's default; pin ours where it differs."""
        if not self._settings.allow_congestion_control(self.tcp_congestion):
            return
        for host in self.net.hosts:
            host.set_sysctls({"net.ipv4.tcp_congestion_control": self.tcp_congestion})

    def fill_neighbour_tables(self) -> None:
        """Permanent ARP entries for every neighbour on every subnet, so no
        first packet waits for an ARP exchange across a delayed link (the
        textbook's RTT counts leave ARP out)."""
        lines = defaultdict(list)
        for members in self._segments().values():
            for node, intf, _, _ in members:
                lines[node] += [neighbour_line(address, mac, intf)
                                for other, _, address, mac in members if other is not node]
        for node, batch in lines.items():
            node.ip_batch(batch)

    def _segments(self) -> dict:
        """Each subnet's members: [(node, interface, its address, its MAC)]."""
        segments = defaultdict(list)
        for node in self.net.hosts:
            for intf in node.intfList():
                if intf.IP() and intf.name != "lo":
                    subnet = ipaddress.ip_interface(f"{intf.IP()}/{intf.prefixLen}").network
                    segments[subnet].append((node, intf.name, intf.IP(), intf.MAC()))
        return segments

    def neighbour_entries(self) -> int:
        """The most neighbour entries the hosts can hold: each host on a
        subnet knowing every other member of it."""
        return sum(len(members) * (len(members) - 1) for members in self._segments().values())

    def use_resolvers(self, resolver_of: dict[str, str]) -> None:
        """Give every host a resolv.conf of its own naming its local DNS
        server's address (``resolver_of``); the machine's own file is
        untouched (see each host's use_resolv_conf)."""
        for host in self.net.hosts:
            if host.name not in resolver_of:
                continue
            path = self.run_dir / "hosts" / host.name / "resolv.conf"
            # no-aaaa: the emulation is IPv4 only, so stubs ask for A records alone.
            path.write_text(f"# {host.name}: the emulation's local DNS server\n"
                            f"nameserver {resolver_of[host.name]}\n"
                            "options timeout:2 attempts:2 no-aaaa\n")
            host.push(path.parent)
            host.use_resolv_conf(path)

    def record_runtime_dir(self, path: Path) -> None:
        """A directory of the run's under the runtime directory: `applab
        clean` leaves it alone while the run lives."""
        self._state.record_runtime_dir(path)

    def sandbox(self, host: str, name: str, home: Path, limits,
                hidden: list[Path]) -> Sandbox:
        """A prepared sandbox for program ``name`` on ``host``, its working
        directory filled from ``home``; stop() finishes any still open."""
        sandbox = Sandbox(self.net[host], f"{self._state.path.name}-{host}-{name}", home,
                          self._state.path / "sandbox" / f"{host}-{name}", limits, hidden)
        self._state.record_cgroups(sandbox.cgroup.dirs)
        self._sandboxes.append(sandbox)
        sandbox.prepare()
        return sandbox

    # Access

    @property
    def addresses(self) -> dict[str, str]:
        """Each host's (main) address."""
        return {h.name: h.IP() for h in self.net.hosts if h.IP()}

    def __getitem__(self, name):
        return self.net[name]

    @property
    def hosts(self):
        return self.net.hosts

    def openflow_ports(self, switch: str, interfaces: list[str]) -> tuple[int, list[int]]:
        """The datapath id of ``switch`` and the OpenFlow port numbers of its
        ``interfaces`` (Mininet asks OVS for NAME-ethN to be port N)."""
        node = self.net[switch]
        return int(node.dpid, 16), [node.ports[node.nameToIntf[i]] for i in interfaces]


    # Teardown

    def stop(self):
        """Tear everything down, once: a bring-up that failed has stopped
        already when its caller's own teardown asks again."""
        if self._stopped:
            return
        self._stopped = True
        with signals_deferred():
            try:
                if self.net is not None:
                    try:
                        self.link_stats = self.link_control.counters()
                    except (RelayError, OSError, ValueError):  # teardown must go on
                        self.link_stats = {}
                    self._finish_sandboxes()
                    self.net.stop()
            finally:
                self.container_hosts.remove()
                if self._settings is not None:
                    self._settings.restore()
                try:
                    if self._state is not None:
                        leftovers = (self.cluster.sweep() + state.leftovers(self._state)
                                     + self.container_hosts.leftovers(self._state.path.name))
                        if leftovers:
                            state.clean(self._state)
                            raise LeftoverError(f"teardown left {leftovers}; removed them")
                        self._state.remove()
                finally:
                    self.cluster.close()
                    self._engine.close()
                    self._logging.close()

    def _finish_sandboxes(self) -> None:
        """What sandboxed programs wrote is kept even when a run fails;
        their cgroups and working directories go while their hosts exist."""
        for sandbox in self._sandboxes:
            try:
                sandbox.finish()
            except (AppLabError, OSError) as exc:   # the rest is torn down all the same
                self.say(f"sandbox {sandbox.name}: {exc}")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

