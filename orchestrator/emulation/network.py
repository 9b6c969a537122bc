"""Network bring-up and teardown: a Topo (pure data) becomes running Mininet.

This is the only layer (with the link realizers it owns) that imports mininet.
"""
from __future__ import annotations

import ipaddress
import json
import os
import signal
from collections import defaultdict
from collections.abc import Mapping
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path

from mininet.examples.cluster import MininetCluster
from mininet.net import Mininet

from orchestrator.emulation import SWITCH_KINDS, shared, state
from orchestrator.emulation.cluster.machines import Machine
from orchestrator.emulation.cluster.placement import COORDINATOR
from orchestrator.emulation.cluster.share import ClusterShare
from orchestrator.emulation.commands import command_log, run_in, run_root
from orchestrator.emulation.containers.engine import engine
from orchestrator.emulation.containers.hosts import (
    ContainerHost,
    ContainerSpec,
    remove_container,
    remove_labelled,
    start_container,
)
from orchestrator.emulation.containers.images import build as build_image
from orchestrator.emulation.containers.images import load_recipe
from orchestrator.emulation.links.realizers import choose_realizer, frames_dropped, link_class
from orchestrator.emulation.nodes import (
    AppBridge,
    AppHost,
    AppOVSSwitch,
    ensure_ovs,
    ovs_datapath,
)
from orchestrator.emulation.sandbox import Sandbox
from orchestrator.emulation.sdn.controller import LAUNCHER as CONTROLLER_MARK
from orchestrator.emulation.sdn.controller import OpenFlowController
from orchestrator.errors import (
    AppLabError,
    CommandError,
    LeftoverError,
    RelayError,
    TopologyError,
)
from topologies.params import LinkDirections, LinkParamError, change_link, link_from_info

# Linux caps interface names at 15 characters; Mininet names them NODE-ethN.
IFNAME_MAX = 15
# Every emulated host uses this TCP congestion control, Linux's default, so a
# machine whose default differs (BBR paces small responses over a long RTT)
# gives the same results as a stock VM.
DEFAULT_TCP_CONGESTION = "cubic"
TCP_CONGESTION = "/proc/sys/net/ipv4/tcp_congestion_control"
BRIDGE_NF_SYSCTLS = [f"/proc/sys/net/bridge/bridge-nf-call-{t}tables" for t in ("arp", "ip", "ip6")]
# Interfaces made while they hold stay silent: no IPv6, no IGMP reports for
# link-local groups (the emulation is IPv4 unicast).
QUIET_INTERFACE_SYSCTLS = {"/proc/sys/net/ipv6/conf/default/disable_ipv6": "1",
                           "/proc/sys/net/ipv4/igmp_link_local_mcast_reports": "0"}


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


class RecordedMininet(Mininet):
    """Mininet that records each shell and relay pid as it appears, so even a
    crash in the middle of a build leaves `applab clean` a complete list.
    ``make_container(name)``: the running container of a container host."""

    def __init__(self, run_state: state.RunState, containers: dict | None = None,
                 make_container=None, **params):
        self.run_state = run_state
        self.containers = containers or {}
        self.make_container = make_container
        super().__init__(**params)

    def addHost(self, name, cls=None, **params):
        if name in self.containers:
            cls = partial(ContainerHost, container=self.make_container(name))
        host = super().addHost(name, cls=cls, on_process=self._record_process, **params)
        self.run_state.record("shell", host.shell.pid, state.SHELL_MARK)
        return host

    def addSwitch(self, name, cls=None, **params):
        switch = super().addSwitch(name, cls=cls, **params)
        self.run_state.record("shell", switch.shell.pid, state.SHELL_MARK)
        return switch

    def addLink(self, node1, node2, port1=None, port2=None, cls=None, **params):
        link = super().addLink(node1, node2, port1, port2, cls, **params)
        if getattr(link, "relay", None):
            self.run_state.record("relay", link.relay.pid, state.RELAY_MARK)
        return link

    def _record_process(self, proc, argv):
        self.run_state.record("process", proc.pid, os.path.basename(str(argv[0])))


class RecordedCluster(RecordedMininet, MininetCluster):
    """RecordedMininet on Mininet's cluster edition: some nodes on workers,
    each reported to ``on_remote_node`` as soon as it exists."""

    def __init__(self, run_state: state.RunState, on_remote_node=None, **params):
        self.on_remote_node = on_remote_node
        super().__init__(run_state, **params)

    def addHost(self, name, cls=None, **params):  # noqa: N802 (Mininet's name)
        return self._reported(super().addHost(name, cls=cls, **params))

    def addSwitch(self, name, cls=None, **params):  # noqa: N802
        return self._reported(super().addSwitch(name, cls=cls, **params))

    def _reported(self, node):
        if node.isRemote:
            self.on_remote_node(node)
        return node


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
        self.links = validate_topo(topo)  # link name -> its parameters now
        self.cluster = ClusterShare(topo, self.links, machines or {},
                                    {node: (placement or {}).get(node, COORDINATOR)
                                     for node in topo.nodes()})
        self.containers = containers or {}
        self.say = say
        self._engine = ExitStack()
        self._docker = None
        self._image_tags: dict[str, str] = {}
        self._containers_made: list = []
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
        self._saved_sysctls: dict[str, str] = {}
        self._state: state.RunState | None = None
        self._sandboxes: list[Sandbox] = []
        self._logging = ExitStack()

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
        self._disable_bridge_netfilter()
        self._quiet_new_interfaces()
        if self.switch_kind != "lxbr":
            self.datapath = ovs_datapath(self.switch_kind)
            ensure_ovs()
        if self.containers:
            self._docker = self._engine.enter_context(engine(say=self.say))
            # Built here if its recipe is new or changed; found at once otherwise.
            self._image_tags = {image: build_image(self._docker, load_recipe(image), say=self.say)
                                for image in {c.image for c in self.containers.values()}}
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
        self.net.build()
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
        spec = self.containers[name]
        container = start_container(self._docker, name, spec, self._image_tags[spec.image],
                                    self._state.path.name,
                                    mounts=[str(self.run_dir), str(state.STATE_ROOT)])
        self._containers_made.append(container)
        return container

    def _set_root_sysctl(self, path: str, value: str) -> None:
        """Change a root-namespace setting for the run; stop() restores it, and
        so does `applab clean` after a run killed outright (it is recorded first)."""
        original = Path(path).read_text().strip()
        if path not in self._saved_sysctls:
            self._saved_sysctls[path] = original
            self._state.record_sysctl(path, original)
        Path(path).write_text(value + "\n")

    def _disable_bridge_netfilter(self):
        # Bridged frames would otherwise traverse the host's iptables.
        for path in BRIDGE_NF_SYSCTLS:
            if os.path.exists(path):
                self._set_root_sysctl(path, "0")

    def _quiet_new_interfaces(self):
        """The switch ports and relay TAPs this run makes in the root namespace
        send nothing of their own (IPv6's address checks, router and listener
        messages; IGMP reports): on a lossy link those would count among its
        drops, and on a slow one take its time. Hosts do the same (AppHost)."""
        for path, value in QUIET_INTERFACE_SYSCTLS.items():
            if os.path.exists(path):
                self._set_root_sysctl(path, value)

    def _set_tcp_congestion(self):
        """New namespaces inherit the machine's default; pin ours where it differs.
        Outside the machine's namespace Linux only allows the 'allowed'
        algorithms: a setting of the machine, shared with runs at once."""
        if Path(TCP_CONGESTION).read_text().strip() == self.tcp_congestion:
            return
        self._engine.enter_context(shared.allowing({self.tcp_congestion}))
        setting = f"net.ipv4.tcp_congestion_control={self.tcp_congestion}"
        for host in self.net.hosts:  # all at once, then collect: hosts run in parallel
            host.sendCmd("sysctl", "-w", setting)
        for host in self.net.hosts:
            out = host.waitOutput()
            if not out.strip().endswith(self.tcp_congestion):
                raise CommandError(host.name, f"sysctl -w {setting}", 1, out)

    def fill_neighbour_tables(self) -> None:
        """Permanent ARP entries for every neighbour on every subnet, so no
        first packet waits for an ARP exchange across a delayed link (the
        textbook's RTT counts leave ARP out)."""
        segments = defaultdict(list)  # subnet -> [(node, interface, its address, its MAC)]
        for node in self.net.hosts:
            for intf in node.intfList():
                if intf.IP() and intf.name != "lo":
                    subnet = ipaddress.ip_interface(f"{intf.IP()}/{intf.prefixLen}").network
                    segments[subnet].append((node, intf.name, intf.IP(), intf.MAC()))
        lines = defaultdict(list)
        for members in segments.values():
            for node, intf, _, _ in members:
                lines[node] += [f"neigh replace {ip} lladdr {mac} dev {intf} nud permanent"
                                for other, _, ip, mac in members if other is not node]
        for node, batch in lines.items():
            path = self.run_dir / "hosts" / node.name / "neighbours.batch"
            path.write_text("\n".join(batch) + "\n")
            node.push(path.parent)
            run_in(node, ["ip", "-batch", str(path)])

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

    @property
    def container_images(self) -> dict[str, str]:
        """Each container host's image (its tag)."""
        return {host: self._image_tags[spec.image] for host, spec in self.containers.items()}

    @property
    def link_params(self) -> dict[str, dict]:
        """Each link's parameters now, per direction, by link name."""
        return {name: link.as_dict() for name, link in self.links.items()}

    def link_between(self, node1: str, node2: str):
        links = self.net.linksBetween(self.net[node1], self.net[node2])
        if not links:
            raise TopologyError(f"no link between {node1!r} and {node2!r}")
        return links[0]

    def _link_name(self, node1: str, node2: str) -> str:
        name = f"{node1}-{node2}"
        return name if name in self.links else f"{node2}-{node1}"

    def egress(self, node: str, peer: str):
        """The parameters of the link node--peer in the direction node -> peer."""
        name = self._link_name(node, peer)
        if name not in self.links:
            raise TopologyError(f"no link between {node!r} and {peer!r}")
        return self.links[name].leaving(first_end=name == f"{node}-{peer}")

    def set_link(self, node1: str, node2: str, change: dict) -> LinkDirections:
        """Change some of a link's parameters at run time; the others stay.
        ``up`` and ``down`` in ``change`` are node1 -> node2 and back."""
        link = self.link_between(node1, node2)
        name = self._link_name(node1, node2)
        forward = name == f"{node1}-{node2}"
        before = self.links[name]
        oriented = before if forward else LinkDirections(before.down, before.up)
        after = change_link(name, oriented, change)
        if not forward:
            after = LinkDirections(after.down, after.up)
        first_node = node1 if forward else node2     # the name's first end (names may hold "-")
        first = link.intf1 if link.intf1.node.name == first_node else link.intf2
        second = link.intf2 if first is link.intf1 else link.intf1
        for intf, old, new in ((first, before.up, after.up), (second, before.down, after.down)):
            if new != old:
                intf.change(old, new)
        self.links[name] = after
        return after

    def queue_stats(self, node: str, interfaces: list[str]) -> tuple[int, int]:
        """Backlog bytes and drops of the root qdiscs on ``node``'s ``interfaces``."""
        backlog = drops = 0
        for intf in interfaces:
            for qdisc in json.loads(run_in(self.net[node], ["tc", "-s", "-j", "qdisc", "show",
                                                            "dev", intf])):
                if qdisc.get("root"):
                    backlog += qdisc.get("backlog", 0)
                    drops += qdisc.get("drops", 0)
        return backlog, drops

    def queued_bytes(self, node1: str, node2: str) -> dict[str, int]:
        """Bytes waiting in each end's egress queue of the link node1--node2."""
        link = self.link_between(node1, node2)
        return {intf.node.name: self.queue_stats(intf.node.name, [intf.name])[0]
                for intf in (link.intf1, link.intf2)}

    def set_link_up(self, node1: str, node2: str, up: bool) -> None:
        """Carrier up or down at both ends, as `link s1 h1 down` in Mininet's CLI."""
        link = self.link_between(node1, node2)
        for intf in (link.intf1, link.intf2):
            run_in(intf.node, ["ip", "link", "set", "dev", intf.name, "up" if up else "down"])

    def dropped(self, node: str, peer: str) -> int:
        """Frames the link node--peer has dropped in the direction node ->
        peer so far (its loss and queue limit), as its realizer counts them."""
        link = self.link_between(node, peer)
        sender = link.intf1 if link.intf1.node.name == node else link.intf2
        counters = link.stats() if hasattr(link, "stats") else {}
        return frames_dropped(counters.get(sender.name, {}))

    def collect_link_stats(self) -> dict[str, dict]:
        """Relay counters per link (frames relayed, dropped by loss / queue limit)."""
        stats = {}
        for link in self.net.links if self.net else []:
            counters = link.stats() if hasattr(link, "stats") else {}
            if counters:
                stats[str(link)] = counters
        return stats

    # Teardown

    def stop(self):
        with signals_deferred():
            try:
                if self.net is not None:
                    try:
                        self.link_stats = self.collect_link_stats()
                    except (RelayError, OSError, ValueError):  # teardown must go on
                        self.link_stats = {}
                    self._finish_sandboxes()
                    self.net.stop()
            finally:
                # Each host removes its container; these also cover a bring-up
                # cut short between a container and its host.
                for container in self._containers_made:
                    remove_container(container)
                for path, value in self._saved_sysctls.items():
                    Path(path).write_text(value + "\n")
                try:
                    if self._state is not None:
                        leftovers = self.cluster.sweep() + state.leftovers(self._state)
                        if self._docker is not None:
                            leftovers += [f"container {name}" for name in
                                          remove_labelled(self._docker, self._state.path.name)]
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

