import pytest

from topologies.base import AddressPlan, AddressPlanError


def test_lans_are_slash_24_until_their_hosts_need_more():
    plan = AddressPlan()
    assert [str(plan.lan(n)) for n in (1, 253, 254, 300, 1000, 5)] == [
        "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24", "10.0.4.0/23", "10.0.8.0/22",
        "10.0.12.0/24"]


@pytest.mark.parametrize("addresses, prefix", [(1, 24), (254, 24), (255, 23), (510, 23),
                                               (511, 22), (65534, 16)])
def test_the_prefix_is_the_longest_that_holds_the_addresses(addresses, prefix):
    assert AddressPlan.prefix_for(addresses) == prefix


def test_more_than_a_slash_16_is_refused_naming_the_plans_limit():
    with pytest.raises(AddressPlanError, match="largest is a /16 \\(65,534 addresses\\)"):
        AddressPlan().lan(65535)


def test_handed_out_lans_skip_a_reserved_subnet():
    plan = AddressPlan()
    reserved = plan.reserve("10.0.2.0/23", 10)
    handed = [plan.lan(1) for _ in range(3)]
    assert [str(n) for n in handed] == ["10.0.1.0/24", "10.0.4.0/24", "10.0.5.0/24"]
    assert not any(n.overlaps(reserved) for n in handed)


@pytest.mark.parametrize("cidr, message", [
    ("10.0.0.0/24", "overlaps 10.0.0.0/24"),          # Mininet's default range
    ("10.250.4.0/24", "overlaps 10.250.0.0/16"),      # routers' transit links
    ("8.8.8.0/24", "not a private range"),
    ("10.0.0.0/8", "larger than the address plan's largest LAN"),
    ("10.9.0.7/24", "not an IPv4 network"),
])
def test_a_named_subnet_the_plan_cannot_give_is_refused(cidr, message):
    with pytest.raises(AddressPlanError, match=message):
        AddressPlan().reserve(cidr, 1)


def test_the_lan_range_running_out_is_named():
    plan = AddressPlan()
    for _ in range(127):
        plan.lan(65534)     # 10.1/16 .. 10.127/16
    with pytest.raises(AddressPlanError, match="10.0.0.0/9 has no free /16"):
        plan.lan(65534)
