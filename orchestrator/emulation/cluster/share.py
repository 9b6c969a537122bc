"""A run's nodes on workers: the machines reached and checked before
anything starts, Mininet's cluster edition told where each node runs, and
each worker's share of the run recorded as it appears and swept at the end."""
from __future__ import annotations

from functools import partial
from pathlib import Path

from mininet.examples.cluster import Placer

from orchestrator.emulation.cluster.machines import Machine, Worker
from orchestrator.emulation.cluster.nodes import ClusterBridge, ClusterHost, VxlanLink
from orchestrator.emulation.cluster.placement import COORDINATOR, crossing_links
from orchestrator.emulation.commands import run_root
from orchestrator.errors import TopologyError

EMPTY_PLAN = {"netns": [], "shells": [], "bridges": [], "files": []}


class ClusterShare:
    """``placed``: the machine of every node of ``topo``; ``links``: each
    link's parameters by name (either end first)."""

    def __init__(self, topo, links: dict, machines: dict[str, Machine],
                 placed: dict[str, str]):
        self.topo, self.links, self.machines, self.placed = topo, links, machines, placed
        self.workers: dict[str, Worker] = {}
        self.shares: dict[str, dict] = {}   # machine -> what its sweep removes
        self.run_state = None

    @property
    def elsewhere(self) -> dict[str, str]:
        """The nodes on workers, and the machine of each."""
        return {node: m for node, m in self.placed.items() if m != COORDINATOR}

    def check(self, switch_kind: str, netem: bool) -> None:
        """What two machines cannot do, said before anything starts."""
        if not self.elsewhere:
            return
        if switch_kind != "lxbr":
            raise TopologyError("a run over several machines uses Linux bridges: give it "
                                "switch lxbr")
        for a, b in crossing_links(self.topo, self.placed):
            params = self.links.get(f"{a}-{b}") or self.links[f"{b}-{a}"]
            impaired = [d for d in (params.up, params.down)
                        if d.delay_ms or d.jitter_ms or d.loss_pct]
            if impaired and not netem:
                raise TopologyError(
                    f"link {a}-{b} joins machines {self.placed[a]} and {self.placed[b]}: its "
                    "delay, jitter or loss needs netem on both (the relay realizer joins two "
                    "nodes of one machine); place both ends on one machine")

    def connect(self) -> None:
        """Reach every worker the placement uses, host keys checked, and
        make sure it runs this applab."""
        for name in sorted(set(self.elsewhere.values())):
            worker = Worker(self.machines[name])
            self.workers[name] = worker
            worker.check_version()

    def mininet_params(self, run_state, tx_offload: bool) -> dict:
        """What Mininet's cluster edition is given: where each node runs and
        how its machine is reached, its node classes, tunnels between machines."""
        self.run_state = run_state
        for node, name in self.placed.items():
            info = self.topo.nodeInfo(node)
            machine = self.machines.get(name)
            info["server"] = machine.address if machine else "localhost"
            if machine:
                info.update(ssh_options=machine.ssh_options, python=machine.python)
        for a, b in crossing_links(self.topo, self.placed):
            self.topo.linkInfo(a, b)["cls"] = VxlanLink
        addresses = {m.address: m.address for m in self.machines.values()}
        return {"host": partial(ClusterHost, tx_offload=tx_offload, on_push=self.record_push,
                                pid_dir=f"/tmp/applab-pids-{run_state.path.name}"),
                "switch": ClusterBridge, "on_remote_node": self.record_node,
                "servers": ["localhost", *addresses], "placement": Placer,
                "serverIP": {"localhost": self.coordinator_address(), **addresses},
                "precheck": False}   # the workers were checked, over paramiko

    def coordinator_address(self) -> str:
        """This machine's address as its workers reach it."""
        first = next(iter(self.workers.values())).machine.address
        words = run_root(["ip", "-o", "route", "get", first]).stdout.split()
        return words[words.index("src") + 1]

    def record_node(self, node) -> None:
        """What the sweep of ``node``'s worker removes at teardown: the
        processes in a host's namespace (a program started over SSH outlives
        its session), its shell and relays; a switch's bridge."""
        inode = int(node.rcmd(f"stat -L -c %i /proc/{node.pid}/ns/net"))
        host = node.inNamespace
        self._add(node, {**EMPTY_PLAN, "netns": [inode] if host else [], "shells": [node.pid],
                         "bridges": [] if host else [node.name],
                         "files": [node.pid_dir] if host else []})

    def record_push(self, node, path: Path) -> None:
        """A directory copied to a worker goes with the run, there too."""
        self._add(node, {**EMPTY_PLAN, "files": [str(path)]})

    def _add(self, node, plan: dict) -> None:
        machine = self.placed[node.name]
        share = self.shares.setdefault(machine, {key: [] for key in EMPTY_PLAN})
        for key, values in plan.items():
            share[key] += [v for v in values if v not in share[key]]
        self.run_state.record_machine(self.machines[machine].as_record(), plan)

    def sweep(self) -> list[str]:
        """Each worker's share removed; what is still there after."""
        left = []
        for name, plan in self.shares.items():
            left += [f"{item} on {name}" for item in self.workers[name].sweep(plan)["left"]]
        self.shares = {}    # swept: a second stop() has nothing left to do there
        return left

    def close(self) -> None:
        for worker in self.workers.values():
            worker.close()
        self.workers = {}
