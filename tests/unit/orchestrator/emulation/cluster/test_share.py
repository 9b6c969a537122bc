"""A run's share on other machines, before anything starts and as it grows:
what two machines cannot do is refused, and each worker's part is recorded
once, for its sweep and for `applab clean`."""
from types import SimpleNamespace

import pytest

from orchestrator.emulation.cluster.machines import Machine
from orchestrator.emulation.cluster.share import ClusterShare
from orchestrator.emulation.network import validate_topo
from orchestrator.errors import TopologyError
from topologies.builders import two_hosts

WORKER = Machine("m2", "172.31.255.2")


def share(link: dict, placed: dict[str, str]) -> ClusterShare:
    topo = two_hosts(link)
    return ClusterShare(topo, validate_topo(topo), {"m2": WORKER},
                        {node: placed.get(node, "local") for node in topo.nodes()})


def test_a_run_on_one_machine_is_not_checked_for_machines():
    share({"delay": "5ms"}, {}).check("ovs", netem=False)


def test_several_machines_need_linux_bridges():
    with pytest.raises(TopologyError, match="uses Linux bridges"):
        share({}, {"h2": "m2"}).check("ovs", netem=True)


def test_a_delayed_link_between_machines_needs_netem_on_both():
    crossing = share({"delay": "5ms"}, {"h1": "m2"})     # the delay is on h1--s1
    with pytest.raises(TopologyError, match=r"link h1-s1 joins machines m2 and local"):
        crossing.check("lxbr", netem=False)
    crossing.check("lxbr", netem=True)
    share({"delay": "5ms"}, {"h2": "m2"}).check("lxbr", netem=False)  # s1--h2 is plain
    share({"bw": 10}, {"h1": "m2"}).check("lxbr", netem=False)   # a rate alone: HTB


class RunState:
    def __init__(self):
        self.recorded = []

    def record_machine(self, machine: dict, plan: dict) -> None:
        self.recorded.append((machine["name"], plan))


def test_each_workers_share_is_recorded_once_per_item():
    part = share({}, {"h2": "m2"})
    part.run_state = RunState()
    node = SimpleNamespace(name="h2", pid=4242, pid_dir="/tmp/applab-pids-x")
    part._add(node, {"netns": [77], "shells": [4242], "bridges": [], "files": ["/tmp/a"]})
    part.record_push(node, "/tmp/a")
    part.record_push(node, "/tmp/b")
    assert part.shares == {"m2": {"netns": [77], "shells": [4242], "bridges": [],
                                  "files": ["/tmp/a", "/tmp/b"]}}
    assert [name for name, _ in part.run_state.recorded] == ["m2", "m2", "m2"]
