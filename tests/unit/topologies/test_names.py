import pytest

from tests.unit.topologies.plans import cdn_plan
from topologies.names import NamePlan, NamePlanError, Record, SteeredAnswer

ADDRESSES = {"root": "10.0.9.2", "tld": "10.0.9.3", "umass": "10.0.5.2", "ibm": "10.0.6.2",
             "gaia": "10.0.5.10", "servereast": "10.0.6.10", "mx": "10.0.7.2"}


def slides_plan() -> NamePlan:
    plan = NamePlan(ttl=300)
    plan.add_zone(".", {"a.root-servers.net": "root"})
    plan.add_zone("edu", {"ns.edu": "tld"})
    plan.add_zone("com", {"ns.com": "tld"})
    plan.add_zone("umass.edu", {"dns.umass.edu": "umass"})
    plan.add_zone("ibm.com", {"ns1.ibm.com": "ibm"})
    plan.add_host("gaia.cs.umass.edu", "gaia")
    plan.add_host("servereast.backup2.ibm.com", "servereast")
    plan.add_alias("www.ibm.com", "servereast.backup2.ibm.com")
    plan.add_host("mail.umass.edu", "mx")
    plan.add_mx("umass.edu", 10, "mail.umass.edu")
    return plan


def test_delegations_carry_glue_for_in_bailiwick_servers():
    zones = slides_plan().build(ADDRESSES).zones
    root = set(zones["."].records)
    assert Record("edu.", "NS", "ns.edu.", 300) in root
    assert Record("ns.edu.", "A", "10.0.9.3", 300) in root          # glue
    edu = set(zones["edu."].records)
    assert Record("umass.edu.", "NS", "dns.umass.edu.", 300) in edu
    assert Record("dns.umass.edu.", "A", "10.0.5.2", 300) in edu    # glue
    # Every name is under the root: the root zone holds its own server's address.
    assert Record("a.root-servers.net.", "A", "10.0.9.2", 300) in root


def test_names_land_in_their_deepest_zone():
    zones = slides_plan().build(ADDRESSES).zones
    assert Record("gaia.cs.umass.edu.", "A", "10.0.5.10", 300) in zones["umass.edu."].records
    assert not any(r.name == "gaia.cs.umass.edu." for r in zones["edu."].records)
    assert Record("www.ibm.com.", "CNAME", "servereast.backup2.ibm.com.", 300) \
        in zones["ibm.com."].records
    assert Record("umass.edu.", "MX", "10 mail.umass.edu.", 300) in zones["umass.edu."].records


def test_a_name_in_no_zone_is_a_clear_error():
    plan = NamePlan()
    plan.add_zone("com", {"ns.com": "tld"})
    plan.add_host("gaia.cs.umass.edu", "gaia")
    with pytest.raises(NamePlanError, match="zone com. has no parent zone"):
        plan.build(ADDRESSES)
    plan.add_zone(".", {"a.root-servers.net": "root"})
    with pytest.raises(NamePlanError, match="gaia.cs.umass.edu. belongs to no zone"):
        plan.build(ADDRESSES)


def test_a_zone_without_its_parent_or_a_host_without_an_address():
    plan = NamePlan()
    plan.add_zone("umass.edu", {"dns.umass.edu": "umass"})
    with pytest.raises(NamePlanError, match="no parent zone"):
        plan.build(ADDRESSES)
    plan = slides_plan()
    plan.add_host("nowhere.umass.edu", "ghost")
    with pytest.raises(NamePlanError, match="'ghost', which has no address"):
        plan.build(ADDRESSES)
    with pytest.raises(NamePlanError, match="at least one name server"):
        NamePlan().add_zone("org", {})


def test_an_unregistered_zone_is_served_but_not_delegated():
    plan = slides_plan()
    plan.add_zone("networkutopia.com", {"dns1.networkutopia.com": "ibm"}, registered=False)
    plan.add_host("www.networkutopia.com", "servereast")
    names = plan.build(ADDRESSES)
    com = names.zones["com."]
    assert not any(r.name == "networkutopia.com." for r in com.records)
    utopia = names.zones["networkutopia.com."]
    # What the registrar will insert into .com: the NS record and its glue.
    assert set(utopia.delegation) == {
        Record("networkutopia.com.", "NS", "dns1.networkutopia.com.", 300),
        Record("dns1.networkutopia.com.", "A", "10.0.6.2", 300)}
    assert Record("www.networkutopia.com.", "A", "10.0.6.10", 300) in utopia.records
    assert utopia not in names.children("com.")
    assert names.zones["ibm.com."] in names.children("com.")


def test_a_delegation_lives_as_long_as_the_parents_records():
    plan = slides_plan()
    plan.add_zone("nyu.edu", {"ns1.nyu.edu": "umass"}, ttl=20)
    plan.add_host("engineering.nyu.edu", "gaia")
    names = plan.build(ADDRESSES)
    assert Record("nyu.edu.", "NS", "ns1.nyu.edu.", 300) in names.zones["edu."].records
    assert Record("engineering.nyu.edu.", "A", "10.0.5.10", 20) in names.zones["nyu.edu."].records


def test_the_plan_answers_as_a_correct_resolver_would():
    names = slides_plan().build(ADDRESSES)
    assert names.lookup("www.ibm.com", "A") == ["10.0.6.10"]            # the CNAME followed
    assert names.lookup("www.ibm.com", "CNAME") == ["servereast.backup2.ibm.com."]
    assert names.lookup("umass.edu", "MX") == ["10 mail.umass.edu."]
    assert names.lookup("umass.edu", "NS") == ["dns.umass.edu."]
    assert names.lookup("nowhere.umass.edu", "A") == []
    assert names.root_servers() == {"a.root-servers.net.": "10.0.9.2"}
    assert [z.origin for z in names.served_by("tld")] == ["edu.", "com."]
    assert names.name_of("gaia") == "gaia.cs.umass.edu" and names.name_of("tld") is None


def test_a_plan_must_hang_from_a_root_that_resolvers_can_be_given():
    plan = NamePlan()
    plan.add_zone("com", {"ns.com": "tld"})
    with pytest.raises(NamePlanError, match="no parent zone"):
        plan.build(ADDRESSES)
    with pytest.raises(NamePlanError, match="no root zone, so a resolver has no hints"):
        NamePlan().build(ADDRESSES).root_servers()
    with pytest.raises(NamePlanError, match="always registered"):
        NamePlan().add_zone(".", {"a.root-servers.net": "root"}, registered=False)
    plan = slides_plan()
    plan.resolution = "telepathic"
    with pytest.raises(NamePlanError, match="resolution 'telepathic'"):
        plan.build(ADDRESSES)



def test_a_steered_name_sends_each_network_to_its_nearest_edge_first():
    plan, addresses = cdn_plan()
    near = {("east-dns", "edge-east"): 2, ("east-dns", "edge-west"): 20,
            ("west-dns", "edge-east"): 20, ("west-dns", "edge-west"): 2}
    names = plan.build(addresses, distance=lambda a, b: near[(a, b)])
    assert names.edge_orders["a1105.kingcdn.com."] == {
        "east-dns": ["edge-east", "edge-west"], "west-dns": ["edge-west", "edge-east"]}
    zone = names.zones["kingcdn.com."]
    assert names.steers(zone) and not names.steers(names.zones["com."])
    assert zone.steered == [SteeredAnswer(
        "a1105.kingcdn.com.", 5, "http://a1105.kingcdn.com/health",
        ((("10.0.1.2/32", "10.0.1.3/32"), ("10.0.1.9", "10.0.2.9")),
         (("10.0.2.2/32", "10.0.2.3/32"), ("10.0.2.9", "10.0.1.9"))),
        ("10.0.1.9", "10.0.2.9"))]
    # The provider's name is a CNAME into the CDN's domain, as in the slides.
    assert Record("video.netcinema.com.", "CNAME", "a1105.kingcdn.com.", 300) \
        in names.zones["netcinema.com."].records


def test_without_distances_edges_keep_their_given_order():
    plan, addresses = cdn_plan()
    orders = plan.build(addresses).edge_orders["a1105.kingcdn.com."]
    assert orders["west-dns"] == ["edge-east", "edge-west"]
