"""The DNS roles' configuration, logs and programme, without root."""
import ipaddress

from services.base import HostContext
from services.dns.authoritative import BindAuthoritative, parse_query_log
from services.dns.client import DnsClient, step_problems
from services.dns.resolver import UnboundResolver
from tests.real_world import REAL_ROOT_SERVERS
from topologies.names import NamePlan

ADDRESSES = {"root": "10.0.2.2", "tld": "10.0.3.2", "umass": "10.0.4.2", "gaia": "10.0.4.3",
             "utopia": "10.0.5.2", "resolver": "10.0.1.3", "client": "10.0.1.2"}
# The real root servers' IPv4 addresses (a to m): none may reach a resolver's config.


def names(resolution="iterated"):
    plan = NamePlan(ttl=3600, resolution=resolution)
    plan.add_zone(".", {"a.root-servers.net": "root"})
    plan.add_zone("edu", {"a.nic.edu": "tld"})
    plan.add_zone("com", {"a.nic.com": "tld"}, updaters=["client"])
    plan.add_zone("umass.edu", {"dns.umass.edu": "umass"}, ttl=20)
    plan.add_zone("networkutopia.com", {"dns1.networkutopia.com": "utopia"}, registered=False)
    plan.add_host("gaia.cs.umass.edu", "gaia")
    return plan.build(ADDRESSES)


def ctx(tmp_path, host, resolution="iterated", params=None):
    return HostContext(name=host, host=host, ip=ADDRESSES[host], home=tmp_path / host,
                       params=params or {}, addresses=ADDRESSES,
                       services={h: h for h in ADDRESSES}, names=names(resolution),
                       resolver="resolver", homes={"root": tmp_path / "root"})


def test_bind_serves_its_hosts_zones_with_all_state_in_its_home(tmp_path):
    c = ctx(tmp_path, "tld")
    files = BindAuthoritative().config(c)
    conf = files[c.path("named.conf")]
    assert 'zone "edu." {' in conf and 'zone "com." {' in conf and "umass" not in conf
    for option in ("directory", "pid-file", "session-keyfile", "managed-keys-directory"):
        assert f'{option} "{c.home}' in conf
    assert "recursion no;" in conf and "dnssec-validation no;" in conf
    assert "controls { };" in conf and "querylog yes;" in conf
    # Only the registrar's host may update .com, and only .com.
    assert conf.count("allow-update") == 1 and "allow-update { 10.0.1.2; };" in conf
    edu = files[c.path("zones", "edu.zone")]
    assert "umass.edu.\t3600\tIN\tNS\tdns.umass.edu." in edu
    assert "dns.umass.edu.\t3600\tIN\tA\t10.0.4.2" in edu          # glue
    assert "networkutopia" not in files[c.path("zones", "com.zone")]  # not yet registered
    assert BindAuthoritative().command(c)[:3] == ["named", "-4", "-f"]


def test_bind_in_a_recursive_chain_forwards_each_delegation_to_its_child(tmp_path):
    conf = BindAuthoritative().config(ctx(tmp_path, "root", "recursive"))[
        tmp_path / "root" / "named.conf"]
    assert "recursion yes;" in conf
    assert 'zone "edu." {\n    type forward;\n    forward only;\n' \
           '    forwarders { 10.0.3.2; };' in conf
    assert 'zone "umass.edu."' not in conf      # the TLD's child, not the root's
    assert "type hint" not in conf               # the root needs no hints
    tld = BindAuthoritative().config(ctx(tmp_path, "tld", "recursive"))
    assert f'zone "." {{\n    type hint;\n    file "{tmp_path}/tld/root.hints";' in \
        tld[tmp_path / "tld" / "named.conf"]
    assert tld[tmp_path / "tld" / "root.hints"].endswith(
        "a.root-servers.net.\t3600000\tIN\tA\t10.0.2.2\n")


def test_unbound_knows_only_the_emulated_root(tmp_path):
    c = ctx(tmp_path, "resolver")
    files = UnboundResolver().config(c)
    conf, hints = files[c.path("unbound.conf")], files[c.path("root.hints")]
    assert f'root-hints: "{c.path("root.hints")}"' in conf
    assert hints.splitlines() == [".\t3600000\tIN\tNS\ta.root-servers.net.",
                                  "a.root-servers.net.\t3600000\tIN\tA\t10.0.2.2"]
    assert 'module-config: "iterator"' in conf and "qname-minimisation: no" in conf
    assert 'username: ""' in conf and 'chroot: ""' in conf and "forward-zone" not in conf
    for text in (conf, hints):
        for address in REAL_ROOT_SERVERS:
            assert address not in text
        for word in text.split():
            try:
                address = ipaddress.ip_address(word)
            except ValueError:
                continue
            assert address in ipaddress.ip_network("10.0.0.0/8") or address.is_loopback
    recursive = UnboundResolver().config(ctx(tmp_path, "resolver", "recursive"))
    assert 'forward-zone:\n    name: "."\n    forward-addr: 10.0.2.2' in \
        recursive[c.path("unbound.conf")]


def test_query_logs_give_who_asked_what_and_when():
    (query,) = parse_query_log(
        "2026-11-27T05:09:23.225Z client @0x7fce 10.0.1.3#21175 (gaia.cs.umass.edu): "
        "query: gaia.cs.umass.edu IN A -E(0)DC (10.0.2.2)\n"
        "2026-11-27T05:09:23.300Z general: something else\n")
    assert query == {"time": 1795756163.225, "client": "10.0.1.3",
                     "name": "gaia.cs.umass.edu.", "type": "A", "rd": False}


def test_the_client_programme_is_checked_and_resolved(tmp_path):
    services, zones = {"root", "tld"}, {"com."}
    assert step_problems([{"label": "a", "lookup": "x"}, {"label": "a", "sleep": 1}],
                         services, zones) == [((1, "label"), "label 'a' is used twice")]
    problems = step_problems([{"label": "s", "ask": "x", "server": "nowhere"},
                              {"label": "w", "wait_ttl": "later"},
                              {"label": "q", "ask": "x"},
                              {"lookup": "x", "sleep": 2, "colour": "red"},
                              {"label": "t", "lookup": "x", "type": "QUACK"},
                              {"label": "m", "lookup": "x", "type": "mx"}], services, zones)
    assert ((0, "server"), "no service 'nowhere' in this scenario") in problems
    assert ((1, "wait_ttl"), "no earlier step labelled 'later'") in problems
    assert ((2,), "an ask step needs the server to ask") in problems
    assert ((3, "colour"), "unknown key") in problems and ((3,), "every step needs a label") \
        in problems
    assert ((4, "type"), "unknown record type 'QUACK'") in problems
    assert not [p for p in problems if p[0][0] == 5]
    c = ctx(tmp_path, "client", params={"steps": [
        {"label": "before", "ask": "www.networkutopia.com", "server": "tld"},
        {"label": "register", "register": "networkutopia.com"}]})
    programme = DnsClient().programme(c)
    assert programme["resolver"] == "10.0.1.3"
    ask, register = programme["steps"]
    assert ask["server"] == "10.0.3.2"
    assert register["server"] == "10.0.3.2" and register["parent"] == "com."
    assert register["records"] == [
        ["networkutopia.com.", 3600, "NS", "dns1.networkutopia.com."],
        ["dns1.networkutopia.com.", 3600, "A", "10.0.5.2"]]


def test_a_programme_may_register_only_a_zone_of_the_plan():
    problems = step_problems([{"label": "r", "register": "nowhere.com"},
                              {"label": "s", "register": "."}], set(), {"networkutopia.com."})
    assert problems == [((0, "register"), "no zone 'nowhere.com' below the root in the dns "
                                          "section"),
                        ((1, "register"), "no zone '.' below the root in the dns section")]
