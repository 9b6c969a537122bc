import pytest

from topologies.params import (
    DEFAULT_QUEUE_PACKETS,
    LinkParamError,
    LinkParams,
    change_link,
    link_from_info,
    parse_link,
    parse_link_params,
)


@pytest.mark.parametrize("value, ms", [("20ms", 20.0), ("0.5s", 500.0), ("500us", 0.5),
                                       ("1.5 ms", 1.5), ("2S", 2000.0)])
def test_delay_units(value, ms):
    assert parse_link_params("a-b", {"delay": value}).delay_ms == ms


@pytest.mark.parametrize("value, mbps", [(10, 10.0), (1.54, 1.54), ("1.54Mbit", 1.54),
                                         ("100kbit", 0.1), ("1Gbps", 1000.0), ("154", 154.0)])
def test_rate_units(value, mbps):
    assert parse_link_params("a-b", {"bw": value}).bw_mbps == pytest.approx(mbps)


@pytest.mark.parametrize("params, field", [
    ({"bw": -1}, "bw"),
    ({"bw": 0}, "bw"),
    ({"bw": 1001}, "bw"),
    ({"bw": "fast"}, "bw"),
    ({"bw": "10 parsecs"}, "bw"),
    ({"bw": True}, "bw"),
    ({"delay": 20}, "delay"),
    ({"delay": "20"}, "delay"),
    ({"delay": "20 min"}, "delay"),
    ({"delay": "-5ms"}, "delay"),
    ({"delay": "5ms", "jitter": "6ms"}, "jitter"),
    ({"jitter": "bad"}, "jitter"),
    ({"loss": 101}, "loss"),
    ({"loss": -0.5}, "loss"),
    ({"loss": "lots"}, "loss"),
    ({"max_queue": 0}, "max_queue"),
    ({"max_queue": 2.5}, "max_queue"),
    ({"max_queue_size": -3}, "max_queue_size"),
    ({"max_queue": 10, "max_queue_size": 10}, "max_queue"),
])
def test_bad_values_name_link_and_field(params, field):
    with pytest.raises(LinkParamError) as err:
        parse_link_params("gw-isp", params)
    assert err.value.link == "gw-isp" and err.value.field == field
    assert "gw-isp" in str(err.value) and f"'{field}'" in str(err.value)


def test_other_keys_are_ignored_and_defaults_hold():
    params = parse_link_params("a-b", {"params1": {"ip": "10.0.0.1/24"}})
    assert params == LinkParams()
    assert not params.impaired and params.queue_limit == DEFAULT_QUEUE_PACKETS


def test_impaired_only_with_delay_jitter_or_loss():
    assert not parse_link_params("a-b", {"bw": 10, "max_queue": 50}).impaired
    assert parse_link_params("a-b", {"delay": "1ms"}).impaired
    assert parse_link_params("a-b", {"loss": 0.1}).impaired


def test_mininet_kwargs_round_trip():
    params = parse_link_params("a-b", {"bw": "1.54Mbit", "delay": "1s", "jitter": "5ms",
                                       "loss": 2, "max_queue": 100})
    kwargs = params.mininet_kwargs()
    assert kwargs == {"bw": 1.54, "delay": "1000ms", "jitter": "5ms", "loss": 2.0,
                      "max_queue_size": 100}
    assert parse_link_params("a-b", kwargs) == params


def test_directions_override_the_common_keys():
    link = parse_link("peer1-s1", {"delay": "5ms", "up": {"bw": 1}, "down": {"bw": "10Mbit"}})
    assert (link.up.bw_mbps, link.down.bw_mbps) == (1.0, 10.0)
    assert link.up.delay_ms == link.down.delay_ms == 5.0
    assert not link.symmetric and link.rtt_ms == 10.0
    assert link.spec() == {"up": {"bw": 1.0, "delay": "5ms"}, "down": {"bw": 10.0, "delay": "5ms"}}


def test_a_symmetric_link_reads_as_its_common_keys():
    link = parse_link("a-b", {"bw": "1.54Mbps", "delay": "1s"})
    assert link.symmetric and link.spec() == {"bw": 1.54, "delay": "1000ms"}


@pytest.mark.parametrize("params, field", [
    ({"up": {"bw": 0}}, "up.bw"),
    ({"down": {"delay": 20}}, "down.delay"),
    ({"up": 5}, "up"),
    ({"bw": "fast", "up": {"delay": "1ms"}}, "bw"),
])
def test_a_bad_direction_names_its_field(params, field):
    with pytest.raises(LinkParamError) as err:
        parse_link("a-b", params)
    assert err.value.field == field


def test_a_change_keeps_what_it_does_not_name():
    now = parse_link("gw-isp", {"bw": 1.54, "delay": "10ms"})
    after = change_link("gw-isp", now, {"bw": "15.4Mbit"})
    assert after.up == LinkParams(bw_mbps=15.4, delay_ms=10.0) == after.down
    after = change_link("gw-isp", now, {"down": {"bw": 100}})
    assert (after.up.bw_mbps, after.down.bw_mbps) == (1.54, 100.0)


def test_link_info_with_per_end_params():
    info = {"delay": "2ms", "params1": {"ip": "10.0.0.1/24", "bw": 1.0}, "params2": {"bw": 10.0}}
    link = link_from_info("a-b", info)
    assert (link.up.bw_mbps, link.down.bw_mbps, link.up.delay_ms) == (1.0, 10.0, 2.0)
