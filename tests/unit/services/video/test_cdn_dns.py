"""The CDN's DNS (PowerDNS): a configuration that asks nothing outside the
emulation and caches no steered answer, zones from the name plan with the
steered name as a LUA record, and its query log read back."""
from pathlib import Path

from services.base import HostContext
from services.video.cdn_dns import PowerDnsAuthoritative, pdns_conf
from tests.unit.topologies.plans import cdn_plan


def test_powerdns_polls_no_real_name_caches_no_answer_and_listens_on_its_host_only():
    conf = pdns_conf(Path("/run/x"), "10.0.3.2").splitlines()
    assert "security-poll-suffix=" in conf and "local-address=10.0.3.2" in conf
    assert "enable-lua-records=yes" in conf and "guardian=no" in conf
    assert {"query-cache-ttl=0", "cache-ttl=0"} <= set(conf)
    assert "lua-health-checks-interval=1" in conf


def test_its_zones_come_from_the_plan_with_the_steered_name_as_a_lua_record(tmp_path):
    plan, addresses = cdn_plan()
    ctx = HostContext(name="cdn-dns", host="cdn-dns", ip=addresses["cdn-dns"], home=tmp_path,
                      addresses=addresses, names=plan.build(addresses), resolver="east-dns")
    files = PowerDnsAuthoritative().config(ctx)
    zone = files[tmp_path / "zones" / "kingcdn.com.zone"]
    assert 'a1105.kingcdn.com.\t5\tIN\tLUA\tA ";if netmask(' in zone
    assert files[tmp_path / "named.conf"] == (
        f'zone "kingcdn.com." {{ type master; file "{tmp_path}/zones/kingcdn.com.zone"; }};\n')


def test_the_query_log_says_who_asked_for_what(tmp_path):
    (tmp_path / "stderr.log").write_text(
        "Nov 30 02:05:04 Remote 10.0.3.2 wants 'a1105.kingcdn.com|A', do = 1, bufsize = 1232\n"
        "Nov 30 02:05:05 some other line\n")
    ctx = HostContext(name="cdn-dns", host="cdn-dns", ip="10.0.6.2", home=tmp_path)
    assert PowerDnsAuthoritative().metrics(ctx) == {
        "queries": 1,
        "query_log": [{"client": "10.0.3.2", "name": "a1105.kingcdn.com.", "type": "A"}]}


class Probe:
    """dig against the server: before its health checks, any edge at random."""

    def __init__(self, answers: dict[str, str]):
        self.answers, self.asked = answers, []

    def run(self, argv):
        name, rtype = argv[-2], argv[-1]
        self.asked.append((name, rtype))
        return 0, "ns.kingcdn.com. 1 3600" if rtype == "SOA" else self.answers[name]


def test_it_is_ready_once_every_edge_has_a_verdict_and_its_host_gets_the_nearest(tmp_path):
    plan, addresses = cdn_plan()
    ctx = HostContext(name="cdn-dns", host="cdn-dns", ip=addresses["cdn-dns"], home=tmp_path,
                      addresses=addresses, names=plan.build(addresses), resolver="east-dns")
    role, probe = PowerDnsAuthoritative(), Probe({"a1105.kingcdn.com.": "10.0.1.9"})
    log = tmp_path / "stderr.log"
    assert not role.ready(ctx, probe)       # no log yet: no check has run
    assert ("a1105.kingcdn.com.", "A") in probe.asked   # its query starts the checks
    log.write_text("Dec 06 LUA record monitoring declaring 10.0.1.9 UP for URL "
                   "http://a1105.kingcdn.com/health!\n")
    assert not role.ready(ctx, probe)       # one edge of two judged
    with log.open("a") as out:
        out.write("Dec 06 Lua record monitoring declaring 10.0.2.9 DOWN for URL "
                  "http://a1105.kingcdn.com/health, error: timeout\n")
    assert role.ready(ctx, probe)
    probe.answers["a1105.kingcdn.com."] = "10.0.2.9"   # not the east's nearest
    assert not role.ready(ctx, probe)
