"""Zone files and root hints as BIND, PowerDNS and Unbound read them."""
from services.dns.zonefiles import lua_steering, root_hints, zone_file
from tests.unit.topologies.plans import cdn_plan
from topologies.names import NamePlan, SteeredAnswer

ADDRESSES = {"root": "10.0.9.2", "tld": "10.0.9.3", "umass": "10.0.5.2", "gaia": "10.0.5.10"}


def umass() -> NamePlan:
    plan = NamePlan(ttl=300)
    plan.add_zone(".", {"a.root-servers.net": "root"})
    plan.add_zone("edu", {"ns.edu": "tld"})
    plan.add_zone("umass.edu", {"dns.umass.edu": "umass"}, ttl=20)
    plan.add_host("gaia.cs.umass.edu", "gaia")
    return plan


def test_zone_file_has_soa_then_records():
    text = zone_file(umass().build(ADDRESSES).zones["umass.edu."])
    lines = text.splitlines()
    assert lines[0] == "$ORIGIN umass.edu."
    assert "\tIN\tSOA\tdns.umass.edu. hostmaster.umass.edu. 1 " in lines[2]
    assert "gaia.cs.umass.edu.\t20\tIN\tA\t10.0.5.10" in lines
    assert "$TTL 20\numass.edu.\t20\tIN\tSOA" in text


def test_a_steered_name_is_a_lua_record_that_health_checks_its_edges_nearest_first():
    answer = SteeredAnswer("a1105.kingcdn.com.", 5, "http://a1105.kingcdn.com/health",
                           ((("10.0.1.2/32", "10.0.1.3/32"), ("10.0.1.9", "10.0.2.9")),
                            (("10.0.2.2/32",), ("10.0.2.9", "10.0.1.9"))),
                           ("10.0.1.9", "10.0.2.9"))
    check = "'http://a1105.kingcdn.com/health'"
    assert lua_steering(answer) == (
        ";if netmask({'10.0.1.2/32', '10.0.1.3/32'}) then return "
        f"ifurlup({check}, {{{{'10.0.1.9'}}, {{'10.0.2.9'}}}}) "
        "elseif netmask({'10.0.2.2/32'}) then return "
        f"ifurlup({check}, {{{{'10.0.2.9'}}, {{'10.0.1.9'}}}}) "
        f"else return ifurlup({check}, {{{{'10.0.1.9'}}, {{'10.0.2.9'}}}}) end")
    plan, addresses = cdn_plan()
    text = zone_file(plan.build(addresses).zones["kingcdn.com."])
    assert 'a1105.kingcdn.com.\t5\tIN\tLUA\tA ";if netmask(' in text


def test_root_hints_name_the_plans_root_servers_only():
    hints = root_hints(umass().build(ADDRESSES)).splitlines()
    assert hints == [".\t3600000\tIN\tNS\ta.root-servers.net.",
                     "a.root-servers.net.\t3600000\tIN\tA\t10.0.9.2"]
