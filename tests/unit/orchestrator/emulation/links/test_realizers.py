import types

import pytest

from orchestrator.emulation.links import realizers
from orchestrator.emulation.links.realizers import (
    NETEM,
    RELAY,
    RelayIntf,
    ShapedIntf,
    choose_realizer,
    frames_dropped,
    netem_drops,
)
from orchestrator.errors import RealizerError
from topologies.params import HTB_MIN_BURST_BYTES, htb_burst_bytes


def bare(cls, **attrs):
    intf = cls.__new__(cls)
    intf.__dict__.update(attrs)
    return intf


def test_htb_burst_scales_with_rate():
    assert htb_burst_bytes(1.54) == HTB_MIN_BURST_BYTES
    assert htb_burst_bytes(100) == 625_000  # 50 ms at 100 Mb/s
    assert htb_burst_bytes(1000) > htb_burst_bytes(100)


def test_htb_commands_render_rate_burst_and_r2q():
    cmds, parent = bare(ShapedIntf).bwCmds(bw=100)
    rendered = [c % ("tc", "h1-eth0") for c in cmds]
    assert rendered == [
        "tc qdisc add dev h1-eth0 root handle 5:0 htb default 1 r2q 100",
        "tc class add dev h1-eth0 parent 5:0 classid 5:1 htb rate 100.000000Mbit burst 625000",
    ]
    assert parent.strip() == "parent 5:1"
    assert bare(ShapedIntf).bwCmds(bw=None) == ([], " root ")


def test_relay_intf_sends_impairments_to_its_relay():
    sent = []
    relay = types.SimpleNamespace(configure=lambda name, params, reorder: sent.append(
        (name, params.delay_ms, params.loss_pct, params.queue_limit, reorder)))
    link = types.SimpleNamespace(relay=relay, reorder=False)
    intf = bare(RelayIntf, name="h1-eth0", link=link)
    cmds, parent = intf.delayCmds(" parent 5:1 ", delay="20ms", loss=1, max_queue_size=50)
    assert cmds == [] and parent == " parent 5:1 "
    assert sent == [("h1-eth0", 20.0, 1.0, 50, False)]


def test_relay_less_link_turns_a_queue_limit_into_htb_leaf_fifo():
    intf = bare(RelayIntf, name="h1-eth0", link=types.SimpleNamespace(relay=None))
    cmds, _ = intf.delayCmds(" parent 5:1 ", max_queue_size=30)
    assert [c % ("tc", "h1-eth0") for c in cmds] == [
        "tc qdisc add dev h1-eth0  parent 5:1  handle 10: pfifo limit 30"]


def test_relay_less_link_refuses_impairment_at_run_time():
    intf = bare(RelayIntf, name="h1-eth0", link=types.SimpleNamespace(relay=None))
    with pytest.raises(RealizerError, match="plain veth"):
        intf.delayCmds(" root ", delay="5ms")


@pytest.mark.parametrize("netem, requested, env, expected", [
    (True, None, None, NETEM),
    (False, None, None, RELAY),
    (True, "relay", None, RELAY),
    (True, None, "relay", RELAY),
    (True, "auto", "relay", RELAY),   # a spec's auto defers to the environment
    (True, "netem", "relay", NETEM),  # a spec's own choice wins over it
])
def test_choose_realizer(monkeypatch, netem, requested, env, expected):
    monkeypatch.setattr(realizers, "netem_available", lambda: netem)
    if env:
        monkeypatch.setenv(realizers.REALIZER_ENV, env)
    else:
        monkeypatch.delenv(realizers.REALIZER_ENV, raising=False)
    assert choose_realizer(requested) == expected


def test_forcing_netem_without_netem_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(realizers, "netem_available", lambda: False)
    with pytest.raises(RealizerError, match="no sch_netem"):
        choose_realizer("netem")
    with pytest.raises(RealizerError, match="unknown link realizer"):
        choose_realizer("carrier-pigeon")


def test_what_netem_dropped_is_read_from_its_qdisc_and_named_like_the_relay_s():
    qdiscs = [{"kind": "htb", "handle": "5:", "drops": 7},
              {"kind": "netem", "handle": "10:", "parent": "5:1", "drops": 12}]
    assert netem_drops(qdiscs) == 12   # HTB's own drops are not netem's
    assert frames_dropped({"dropped": 12}) == 12
    assert frames_dropped({"received": 90, "relayed": 80, "dropped_loss": 9,
                           "dropped_queue": 1, "dropped_write": 0}) == 10


def test_a_relay_offloads_segments_only_on_a_link_that_starts_lossless():
    from orchestrator.emulation.links.realizers import RelayLink
    from topologies.params import link_from_info

    def offloads(info):
        link = RelayLink.__new__(RelayLink)     # its parameters alone, no hosts
        link.params = link_from_info("h1-s1", {"node1": "h1", "node2": "s1", **info})
        return link.offloads

    assert offloads({"bw": 1000, "delay": "10ms"})
    assert not offloads({"bw": 10, "delay": "25ms", "loss": 2})
    assert not offloads({"delay": "5ms", "params2": {"loss": 1}})   # lossy one way only
