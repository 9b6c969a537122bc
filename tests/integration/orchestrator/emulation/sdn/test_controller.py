"""The OpenFlow controller: its app forwards, its port counters match the
interfaces', a custom app is the one that runs, a failing one stops the
bring-up cleanly, and a killed run's controller is removed by `applab clean`."""
import time
from pathlib import Path

import pytest

from orchestrator.emulation.commands import run_root
from orchestrator.emulation.linktest import ping_rtts, tcp_goodput_mbps
from orchestrator.emulation.network import Network
from orchestrator.emulation.sdn.controller import BUILT_IN_APPS
from orchestrator.emulation.waiting import WaitTimeout, wait_until
from tests.integration.processes import applab_clean, interrupt, kill, leftovers, wait_for_process
from topologies.builders import star_lan

# Through OVS's userspace datapath TCP reached 80 % of a 10 Mb/s link with
# offload off (test_switches); the controller adds nothing once flows are in.
MIN_GOODPUT_FRACTION = 0.8
# Both count the same frames at the same port; read a poll after the traffic.
PORT_COUNTER_TOLERANCE = 0.02
# The controller polls every second.
POLLS_TIMEOUT_S = 5.0

HUB_APP = '''\
"""A hub: every frame to the controller, out of every other port; no flows."""
from os_ken.base import app_manager
from os_ken.controller import ofp_event
from os_ken.controller.handler import CONFIG_DISPATCHER, MAIN_DISPATCHER, set_ev_cls
from os_ken.ofproto import ofproto_v1_3


class Hub(app_manager.OSKenApp):
    OFP_VERSIONS = [ofproto_v1_3.OFP_VERSION]

    @set_ev_cls(ofp_event.EventOFPSwitchFeatures, CONFIG_DISPATCHER)
    def features(self, ev):
        dp = ev.msg.datapath
        parser = dp.ofproto_parser
        actions = [parser.OFPActionOutput(dp.ofproto.OFPP_CONTROLLER,
                                          dp.ofproto.OFPCML_NO_BUFFER)]
        dp.send_msg(parser.OFPFlowMod(datapath=dp, priority=0, match=parser.OFPMatch(),
                                      instructions=[parser.OFPInstructionActions(
                                          dp.ofproto.OFPIT_APPLY_ACTIONS, actions)]))

    @set_ev_cls(ofp_event.EventOFPPacketIn, MAIN_DISPATCHER)
    def packet_in(self, ev):
        msg, dp = ev.msg, ev.msg.datapath
        dp.send_msg(dp.ofproto_parser.OFPPacketOut(
            datapath=dp, buffer_id=dp.ofproto.OFP_NO_BUFFER, in_port=msg.match["in_port"],
            actions=[dp.ofproto_parser.OFPActionOutput(dp.ofproto.OFPP_FLOOD)],
            data=msg.data))
'''


def polls_after(records: list[dict], moment: float) -> set[float]:
    return {r["t"] for r in records if "port" in r and r["t"] > moment}


def flows(switch: str) -> list[str]:
    out = run_root(["ovs-ofctl", "-O", "OpenFlow13", "dump-flows", switch]).stdout
    return [line.strip() for line in out.splitlines() if "priority=" in line]


def test_the_learning_app_forwards_and_its_port_counters_match_the_interfaces(
        tmp_path, clean_machine):
    with Network(star_lan(3, link={"bw": 10}), tmp_path, switch="ovs",
                 controller_app=BUILT_IN_APPS["l2-learning"]) as net:
        h1, h3 = net["h1"], net["h3"]
        assert len(ping_rtts(h1, h3.IP(), 3, 0.2)) == 3
        goodput = tcp_goodput_mbps(h1, h3, h3.IP(), seconds=3)
        # The switch forwards only as told (fail-mode secure): the app's flows.
        learnt = [f for f in flows("s1") if "priority=1," in f]
        assert len(learnt) >= 2, flows("s1")
        # Two polls answered after the last frame: the second was asked for after it.
        quiet = time.time()
        wait_until(lambda: len(polls_after(net.controller.records(), quiet)) >= 2,
                   POLLS_TIMEOUT_S, "two port-statistics polls after the traffic")
        switch, records = net.net["s1"], net.controller.records()
        compared = 0
        for intf, port in switch.ports.items():
            if intf.name == "lo":
                continue
            last = [r for r in records if r.get("port") == port][-1]
            for direction in ("rx_bytes", "tx_bytes"):
                counted = int(Path(f"/sys/class/net/{intf.name}/statistics/{direction}")
                              .read_text())
                assert last[direction] == pytest.approx(counted, rel=PORT_COUNTER_TOLERANCE)
                compared += 1
        assert compared == 6
    assert goodput >= MIN_GOODPUT_FRACTION * 10


def test_a_custom_app_is_the_one_that_runs(tmp_path, clean_machine):
    hub = tmp_path / "hub.py"
    hub.write_text(HUB_APP)
    with Network(star_lan(2), tmp_path / "run", switch="ovs-user", controller_app=hub) as net:
        assert len(ping_rtts(net["h1"], net["h2"].IP(), 3, 0.2)) == 3
        assert len(flows("s1")) == 1     # its table-miss flow: a hub learns nothing


def test_an_app_that_fails_stops_the_bring_up_and_leaves_nothing(tmp_path, clean_machine):
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('this app does not start')\n")
    with pytest.raises(WaitTimeout, match="this app does not start"):
        Network(star_lan(2), tmp_path / "run", switch="ovs-user", controller_app=broken).start()


SPEC = """\
experiment: openflow
title: a program behind an OpenFlow switch
model: programs
duration_s: 60
switch: ovs-user
controller: {app: l2-learning}
topology: {builder: two_hosts, params: {link: {delay: 5ms}}}
workload:
  role: program
  hosts: [h2]
  params: {command: [sleep, "50"]}
scenarios:
  only: {title: one program}
"""


@pytest.mark.parametrize("stop", ["ctrl-c", "kill"])
def test_a_run_with_a_controller_leaves_nothing(tmp_path, clean_machine, applab, stop):
    spec = tmp_path / "openflow.yaml"
    spec.write_text(SPEC)
    run = applab("run", str(spec), "--out", str(tmp_path / "out"))
    wait_for_process("sleep 50")
    wait_for_process("orchestrator.emulation.sdn.launcher")
    if stop == "ctrl-c":
        interrupt(run)
    else:
        kill(run)
        assert any(item.startswith("process") for item in leftovers())
        assert "controller pid" in applab_clean()
    assert leftovers() == []
