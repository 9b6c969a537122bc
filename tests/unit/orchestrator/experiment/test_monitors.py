"""A monitor's capacity: its own bw, else its links' rates, refused by name
where a link has none; after a run-time change it follows the link from then
on. The network is a stand-in: only what a monitor asks of it."""
import pytest

from orchestrator.errors import AppLabError
from orchestrator.experiment.metrics import CounterSampler, LinkGroup
from orchestrator.experiment.monitors import Monitors
from orchestrator.experiment.spec.schema import MonitorSpec
from topologies.params import LinkParams


class Links:
    def __init__(self, rates: dict[tuple[str, str], float | None]):
        self.rates = rates

    def egress(self, a: str, b: str) -> LinkParams:
        return LinkParams(bw_mbps=self.rates[(a, b)])


class Net:
    def __init__(self, rates: dict[tuple[str, str], float | None]):
        self.link_control = Links(rates)


class Spec:
    def __init__(self, monitors: dict[str, MonitorSpec]):
        self.monitor, self.captures = monitors, []


ACCESS = MonitorSpec(node="isp", peers=["gw"])


def test_a_monitor_takes_its_own_bw_first():
    monitors = Monitors(Spec({}), Net({}), None)
    assert monitors.capacity("lan", MonitorSpec(node="lan", peers=["c1"], bw=1000)) == \
        (1000, 1000)


def test_else_the_rates_of_its_link_each_way():
    monitors = Monitors(Spec({}), Net({("isp", "gw"): 1.54, ("gw", "isp"): 1.0}), None)
    assert monitors.capacity("access", ACCESS) == (1.54, 1.0)


def test_a_link_without_a_rate_is_refused_by_the_monitors_name():
    monitors = Monitors(Spec({}), Net({("isp", "gw"): None, ("gw", "isp"): None}), None)
    with pytest.raises(AppLabError, match="monitor access: the link isp-gw has no bw"):
        monitors.capacity("access", ACCESS)


def test_a_changed_link_is_followed_from_then_on():
    net = Net({("isp", "gw"): 1.54, ("gw", "isp"): 1.54})
    monitors = Monitors(Spec({"access": ACCESS}), net, None)
    group = LinkGroup("access", lambda: "", [], 1.54, 1.54)
    monitors.sampler = CounterSampler([group])
    net.link_control.rates = {("isp", "gw"): 15.4, ("gw", "isp"): 15.4}
    monitors.follow_links()
    assert (group.down_mbps, group.up_mbps) == (15.4, 15.4)
    assert group.capacity_at(0.0) == (1.54, 1.54)
