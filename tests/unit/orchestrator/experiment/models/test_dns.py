"""The DNS model: what a local DNS server asks, from the plan and its cache."""
from pathlib import Path

import dns.flags
import dns.message
import dns.rrset
import dpkt
import pytest

from orchestrator.experiment import spec
from orchestrator.experiment.models.dns import ResolverModel, message_format

REPO = Path(__file__).resolve().parents[5]
DNS_SPEC = REPO / "experiments" / "dns.yaml"


@pytest.fixture(scope="module")
def experiment():
    return spec.load(DNS_SPEC)


def model_for(scenario, resolution="iterated"):
    topo = scenario.topology.build()
    addresses = {h: f"10.{i}.0.2" for i, h in enumerate(topo.hosts())}
    plan = scenario.dns.plan()
    plan.resolution = resolution
    return ResolverModel(plan.build(addresses), scenario.dns.resolver, "client")


def test_iterated_lookups_ask_each_level_once_then_the_cache_answers(experiment):
    model = model_for(experiment.scenarios["iterated"])
    cold = model.lookup("gaia.cs.umass.edu", "A", 0, recursive=False)
    assert cold.queries == {"root": 1, "tld-edu": 1, "umass-dns": 1}
    assert cold.exchanges == [("client", "local-dns"), ("local-dns", "root"),
                              ("local-dns", "tld-edu"), ("local-dns", "umass-dns")]
    assert model.lookup("gaia.cs.umass.edu", "A", 1, recursive=False).queries == {}
    # Another name under a cached TLD skips the root.
    assert model.lookup("engineering.nyu.edu", "A", 2, recursive=False).queries == {
        "tld-edu": 1, "nyu-dns": 1}
    # After the 20 s TTL only the authoritative server is asked again.
    assert model.lookup("gaia.cs.umass.edu", "A", 25, recursive=False).queries == {
        "umass-dns": 1}


def test_recursive_lookups_chain_down_the_hierarchy(experiment):
    model = model_for(experiment.scenarios["recursive"], "recursive")
    cold = model.lookup("gaia.cs.umass.edu", "A", 0, recursive=True)
    assert cold.exchanges == [("client", "local-dns"), ("local-dns", "root"),
                              ("root", "tld-edu"), ("tld-edu", "umass-dns")]
    assert cold.asked_by == {"root": "local-dns", "tld-edu": "root", "umass-dns": "tld-edu"}


def test_a_cname_restarts_at_the_canonical_name(experiment):
    model = model_for(experiment.scenarios["iterated"])
    chain = model.lookup("www.ibm.com", "A", 0, recursive=False)
    assert chain.queries == {"root": 1, "tld-com": 1, "ibm-dns": 2}
    servereast = [r.value for r in model.names.zones["ibm.com."].records
                  if r.name == "servereast.backup2.ibm.com." and r.type == "A"]
    assert chain.answers == servereast and len(servereast) == 1
    assert model.lookup("crepes.fr", "MX", 0, recursive=False).answers == ["10 mail.crepes.fr."]


def test_registration_turns_nxdomain_into_an_answer_after_the_negative_ttl(experiment):
    model = model_for(experiment.scenarios["iterated"])
    before = model.lookup("www.networkutopia.com", "A", 0, recursive=False)
    assert before.rcode == "NXDOMAIN" and before.queries == {"root": 1, "tld-com": 1}
    model.names.zones["networkutopia.com."].registered = True
    assert model.lookup("www.networkutopia.com", "A", 1, recursive=False).rcode == "NXDOMAIN"
    after = model.lookup("www.networkutopia.com", "A", 7, recursive=False)
    assert after.rcode == "NOERROR" and after.queries == {"tld-com": 1, "uto-dns": 1}


def test_with_the_root_down_only_cached_tlds_resolve(experiment):
    model = model_for(experiment.scenarios["root-outage"])
    model.lookup("gaia.cs.umass.edu", "A", 0, recursive=False)
    model.down.add("root")
    assert model.lookup("engineering.nyu.edu", "A", 1, recursive=False).rcode == "NOERROR"
    assert model.lookup("www.amazon.com", "A", 1, recursive=False).rcode == "SERVFAIL"


def test_message_format_comes_from_the_capture(tmp_path):
    query = dns.message.make_query("gaia.cs.umass.edu", "A")
    reply = dns.message.make_response(query)
    reply.flags |= dns.flags.RA
    reply.answer.append(dns.rrset.from_text("gaia.cs.umass.edu.", 20, "IN", "A", "10.0.4.3"))
    pcap = tmp_path / "c.pcap"
    with open(pcap, "wb") as handle:
        writer = dpkt.pcap.Writer(handle)
        for when, (src, dst, sport, dport), message in (
                (1.0, ("10.0.1.2", "10.0.1.3", 40000, 53), query),
                (1.004, ("10.0.1.3", "10.0.1.2", 53, 40000), reply)):
            udp = dpkt.udp.UDP(sport=sport, dport=dport, data=message.to_wire())
            udp.ulen = len(udp)
            ip = dpkt.ip.IP(src=bytes(map(int, src.split("."))),
                            dst=bytes(map(int, dst.split("."))), p=dpkt.ip.IP_PROTO_UDP,
                            data=udp)
            writer.writepkt(dpkt.ethernet.Ethernet(data=ip, type=dpkt.ethernet.ETH_TYPE_IP),
                            ts=when)
    fmt = message_format([str(pcap)])
    assert fmt["query"]["id"] == fmt["reply"]["id"] == query.id
    assert fmt["query"]["flags"] == ["RD"] and fmt["reply"]["flags"] == ["QR", "RD", "RA"]
    assert (fmt["reply"]["question"], fmt["reply"]["answer"]) == (1, 1)
