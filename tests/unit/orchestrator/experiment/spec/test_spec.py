"""Spec validation: every bad input is reported with file, line and field,
before anything starts."""
from pathlib import Path

import pytest
from click.testing import CliRunner

from orchestrator import cli as cli_module
from orchestrator.experiment import scenario, spec
from orchestrator.experiment.spec import SpecError
from tests.paths import ACCESS_LINK, REPO


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "exp.yaml"
    path.write_text(text)
    return path


def variant(tmp_path, old: str, new: str, base: Path = ACCESS_LINK) -> tuple[Path, int]:
    """A spec (the access-link one) with one change; returns it and the line
    number of the last line of the change (where a newly added key sits)."""
    text = base.read_text()
    assert old in text, old
    text = text.replace(old, new, 1)
    line = text[:text.index(new) + len(new)].count("\n") + 1
    return write(tmp_path, text), line


def problems(path, **kwargs) -> list[str]:
    with pytest.raises(SpecError) as err:
        spec.load(path, **kwargs)
    return err.value.problems


def test_the_shipped_spec_is_valid():
    experiment = spec.load(ACCESS_LINK)
    assert list(experiment.scenarios) == ["a", "b", "c", "c-containers", "c-openflow", "d"]
    assert experiment.scenarios["c-openflow"].controller.app == "l2-learning"
    assert experiment.scenarios["c-containers"].containers["cache"].image == "web"
    assert experiment.scenarios["c"].containers == {}
    assert experiment.scenarios["b"].topology.params["access_link"] == {"bw": 154}
    assert "cache" in experiment.scenarios["c"].services
    assert "cache" not in experiment.scenarios["a"].services


@pytest.mark.parametrize("old, new, field, says", [
    ("seed: 7", "seeed: 7", "seeed", "unknown key"),
    ("    role: web-origin", "    role: web-origin\n    colour: blue", "services.origin.colour",
     "unknown key"),
    ("internet_link: {delay: 1s}", "internet_link: {delay: 1}",
     "topology.params.internet_link.delay", "needs a unit"),
    ("access_link: {bw: 1.54}", "access_link: {bw: -1.54}",
     "topology.params.access_link.bw", "outside"),
    ("lan_link: {bw: 1000}", "lan_link: {bw: 1000, latency: 2ms}",
     "topology.params.lan_link.latency", "unknown link parameter"),
    ("    host: origin", "    host: origni", "services.origin.host", "does not exist"),
    ("  hosts: [client1, client2, client3]", "  hosts: [client1, client9, client3]",
     "workload.hosts.1", "does not exist"),
    ("    role: web-origin", "    role: web-orign", "services.origin.role", "unknown role"),
    ("    origin: origin", "    origin: nowhere", "workload.params.origin", "no service"),
    ("    rate_per_s: 15", "    rate_per_s: 15\n    speed: 3", "workload.params.speed",
     "no parameter"),
    ("duration_s: 80", "duration_s: -80", "duration_s", "greater than 0"),
    ("model: access_link", "model: accesslink", "model", "unknown model"),
    ("      hit_rate: {tolerance: 0.02,", "      hit_ratio: {tolerance: 0.02,",
     "checks.hit_ratio", "no check"),
    ("  access: {node: isp, peers: [gw]", "  access: {node: isp, peers: [gateway]",
     "monitor.access.peers.0", "does not exist"),
])
def test_bad_input_names_file_line_and_field(tmp_path, old, new, field, says):
    assert_reported_at(tmp_path, old, new, field, says)


@pytest.mark.parametrize("old, new, field, says", [
    ("      origin: {image: web}", "      origin: {image: wbe}",
     "containers.origin.image", "no image recipe 'wbe'"),
    ("      origin: {image: web}", "      origin: {image: web, cpus: 64}",
     "containers.origin.cpus", "0.01 to this machine's"),
    ("      origin: {image: web}", "      origin: {image: web, cpus: 0.001}",
     "containers.origin.cpus", "0.01 to this machine's"),
    ("      origin: {image: web}", "      origin: {image: web, memory: 2m}",
     "containers.origin.memory", "at least 6m"),
    ("      origin: {image: web}", "      origin: {image: web, memory: lots}",
     "containers.origin.memory", "pattern"),
    ("      origin: {image: web}", "      orgin: {image: web}", "containers.orgin",
     "does not exist"),
    # A host of the page-loading browsers as a container: they are applab's programs.
    ("      cache: {image: web}", "      cache: {image: web}\n      client2: {image: web}",
     "containers.client2", "runs workload (role web-client), applab's own Python"),
])
def test_bad_container_hosts_are_refused_before_anything_starts(tmp_path, old, new, field,
                                                                 says):
    assert_reported_at(tmp_path, old, new, field, says)


@pytest.mark.parametrize("old,new,field,says", [
    ("    controller: {app: l2-learning}", "    controller: {app: l2-lerning}",
     "controller.app", "unknown controller app 'l2-lerning' (have "
     "l2-learning"),
    ("    switch: ovs\n    controller:", "    switch: lxbr\n    controller:",
     "controller", "needs Open vSwitch switches"),
    ("      mean_delay: {textbook: 2.0}",
     "      mean_delay: {textbook: 2.0}\n      port_stats_agreement: {max: 0.02}",
     "checks.port_stats_agreement", "the scenario has no controller"),
])
def test_bad_controllers_are_refused_before_anything_starts(tmp_path, old, new, field, says):
    assert_reported_at(tmp_path, old, new, field, says)


# A line of the access-link spec after which top-level keys may follow.
TOP_LEVEL = "  lan: {node: lan, peers: [client1, client2, client3], bw: 1000}"
TWO_MACHINES = (TOP_LEVEL, TOP_LEVEL + "\n"
                "machines:\n  servers: {address: 192.0.2.10}\n")


@pytest.mark.parametrize("placement, field, says", [
    ("placement: {orign: servers}", "placement.orign", "no host or group 'orign' to place"),
    ("placement: {origin: servrs}", "placement.origin",
     "no machine 'servrs' (machines: local, servers)"),
    ("placement: {clients: servers}\nswitch: ovs", "switch", "uses Linux bridges"),
])
def test_bad_placements_are_refused_before_anything_starts(tmp_path, placement, field, says):
    old, new = TWO_MACHINES
    assert_reported_at(tmp_path, old, new + placement, field, says)


def test_a_container_host_stays_here(tmp_path):
    old, new = TWO_MACHINES
    path, _ = variant(tmp_path, old, new + "placement: {cache: servers}")
    # Said where the container is asked for (scenario c-containers).
    assert any(": containers.cache: cache is placed on machine servers: container hosts "
               "run on this machine only" in p for p in problems(path))


def test_a_placement_needs_machines(tmp_path):
    path, _ = variant(tmp_path, TWO_MACHINES[0], TWO_MACHINES[0] + "\nplacement: {isp: m2}")
    assert any(": placement: a placement needs machines" in p for p in problems(path))


def assert_reported_at(tmp_path, old, new, field, says, base: Path = ACCESS_LINK):
    path, line = variant(tmp_path, old, new, base)
    found = problems(path)
    match = [p for p in found if f": {field}: " in p]
    assert match, found
    assert match[0].startswith(f"{path}:{line}:"), (match[0], line)
    assert says in match[0]


def test_a_capture_on_a_missing_link(tmp_path):
    path, line = variant(tmp_path, TOP_LEVEL, TOP_LEVEL + "\n"
                         "captures:\n  - {node: client1, peer: isp}")
    found = problems(path)
    assert any(": captures.0.peer: 'client1' has no link to 'isp'" in p for p in found), found


def test_a_plot_the_model_does_not_draw(tmp_path):
    assert_reported_at(tmp_path, TOP_LEVEL, TOP_LEVEL + "\nplots: [utilisation, queue_length]",
                       "plots.1", "the access_link model draws no plot 'queue_length' "
                       "(it draws utilisation, delay_time, delay_cdf)")


def test_a_service_without_a_host(tmp_path):
    path, line = variant(tmp_path, "        host: cache\n", "")
    found = problems(path)
    assert any(": services.cache.host: required key is missing" in p for p in found), found


def test_an_error_inside_a_scenario_points_into_that_scenario(tmp_path):
    path, line = variant(tmp_path, "        access_link: {bw: 154}",
                         "        access_link: {bw: fast}")
    (problem,) = problems(path)
    assert problem.startswith(f"{path}:{line}:")
    assert "topology.params.access_link.bw" in problem


def test_yaml_syntax_and_duplicate_keys(tmp_path):
    bad = write(tmp_path, "experiment: x\n  title: [oops\n")
    assert problems(bad)[0].startswith(f"{bad}:")
    dup = write(tmp_path, "experiment: x\nexperiment: y\n")
    assert problems(dup) == [f"{dup}:2:1: key 'experiment' given twice"]


def test_a_binary_or_latin_1_file_is_refused_at_its_first_bad_byte(tmp_path):
    png = tmp_path / "picture.yaml"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert problems(png) == [f"{png}:1:1: not UTF-8 text (byte 0x89): a spec is a YAML "
                             "file saved as UTF-8"]
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("experiment: x\ntitle: caf\u00e9\n".encode("latin-1"))
    assert problems(latin)[0].startswith(f"{latin}:2:11: not UTF-8 text (byte 0xe9)")


def test_a_monitor_over_links_of_different_rates_needs_its_bw(tmp_path):
    path, line = variant(tmp_path, "  access: {node: isp, peers: [gw], queue: true}",
                         "  access: {node: isp, peers: [gw, origin], queue: true}")
    found = problems(path)   # in each scenario with its own access rate
    assert found and all(p.startswith(f"{path}:{line}:") for p in found)
    assert "monitor.access.peers: its links have different rates (isp-gw: 1.54 Mb/s down, " \
        "1.54 Mb/s up; isp-origin: unshaped down, unshaped up)" in found[0]
    assert "give the monitor a bw" in found[0]
    same_rate, _ = variant(tmp_path, "  lan: {node: lan, peers: [client1, client2, client3], "
                           "bw: 1000}", "  lan: {node: lan, peers: [client1, client2, client3]}")
    spec.load(same_rate)   # links alike: the first one's rate serves


def test_unknown_scenario_asked_for(tmp_path):
    found = problems(ACCESS_LINK, only=["e"])
    assert "no scenario 'e'" in found[0]


def test_duration_override_applies_to_every_scenario():
    experiment = spec.load(ACCESS_LINK, duration_s=12)
    assert {s.duration_s for s in experiment.scenarios.values()} == {12}


def test_bad_spec_starts_nothing(tmp_path, monkeypatch):
    path, _ = variant(tmp_path, "    host: origin", "    host: nobody")
    started = []
    monkeypatch.setattr(scenario, "Network", lambda *a, **k: started.append(a))
    result = CliRunner().invoke(cli_module.cli, ["run", str(path), "--out", str(tmp_path / "r")])
    assert isinstance(result.exception, SpecError)
    assert started == [] and not (tmp_path / "r").exists()


@pytest.mark.parametrize("old, new, field, says", [
    ("someschool.edu: {servers: {dns.someschool.edu: school-dns}}",
     "someschool.edu: {servers: {dns.someschool.edu: school-dnz}}",
     "dns.zones.someschool.edu.servers.dns.someschool.edu", "host 'school-dnz' does not exist"),
    ("    www.someschool.edu: origin", "    www.someschool.org: origin",
     "dns.hosts.www.someschool.org", "belongs to no zone"),
    ("  resolver: local-dns", "  resolver: local-dnz", "dns.resolver", "does not exist"),
    ("  negative_ttl_s: 3600", "  negative_ttl_s: -1", "dns.negative_ttl_s", "greater than"),
])
def test_bad_dns_input_names_file_line_and_field(tmp_path, old, new, field, says):
    assert_reported_at(tmp_path, old, new, field, says)


def test_the_dns_section_starts_its_servers_and_no_dns_leaves_them_out():
    with_dns = spec.load(ACCESS_LINK, only=["a"]).scenarios["a"]
    roles = {name: s.role for name, s in with_dns.services.items()}
    assert roles == {"root": "dns-authoritative", "tld-edu": "dns-authoritative",
                     "school-dns": "dns-authoritative", "local-dns": "dns-resolver",
                     "origin": "web-origin"}
    # The resolver starts after the servers whose root it primes.
    assert list(roles).index("local-dns") > list(roles).index("root")
    without = spec.load(ACCESS_LINK, only=["a"], without_dns=True).scenarios["a"]
    assert without.dns is None and list(without.services) == ["origin"]


DASH_CDN = REPO / "experiments" / "dash-cdn.yaml"


@pytest.mark.parametrize("old, new, field, says", [
    ("{edges: [edge-east, edge-west, cluster], ttl_s: 5}",
     "{edges: [edge-east, origin, cluster], ttl_s: 5}",
     "dns.steered.a1105.kingcdn.com.edges.1", "'origin' is not a cdn-edge service"),
    ("    a1105.kingcdn.com: {edges:", "    a1105.kingcdn.org: {edges:",
     "dns.steered.a1105.kingcdn.org", "belongs to no zone"),
    ("resolvers: {east-dns: [east], west-dns: [west]}",
     "resolvers: {east-dns: [east], west-dns: [west, east1]}",
     "dns.resolvers.west-dns", "'east1' already uses east-dns"),
    ("resolvers: {east-dns: [east], west-dns: [west]}",
     "resolvers: {east-dns: [east], west-dns: [wets]}",
     "dns.resolvers.west-dns.0", "host 'wets' does not exist"),
])
def test_bad_cdn_dns_input_names_file_line_and_field(tmp_path, old, new, field, says):
    assert_reported_at(tmp_path, old, new, field, says, base=DASH_CDN)


def test_a_cdn_dns_starts_after_its_edges_and_each_network_has_its_resolver():
    scenario = spec.load(DASH_CDN, only=["enter-deep"]).scenarios["enter-deep"]
    cdn = scenario.services["cdn-dns"]
    assert cdn.role == "dns-cdn" and cdn.after == ["edge-east", "edge-west", "cluster"]
    assert scenario.services["root"].role == "dns-authoritative"
    assert {scenario.dns.resolver_of(h) for h in ("east3", "edge-east")} == {"east-dns"}
    assert scenario.dns.resolver_of("west8") == "west-dns"
    assert scenario.dns.resolver_of("viewer") == "home-dns"
    assert all(scenario.services[r].role == "dns-resolver"
               for r in ("home-dns", "east-dns", "west-dns"))


def test_a_service_named_like_a_dns_server_host_is_refused(tmp_path):
    path, _ = variant(tmp_path, "services:\n  origin:", "services:\n  root:\n"
                      "    role: web-origin\n    host: origin\n  origin:")
    assert any("clash with the DNS servers" in p for p in problems(path))


def test_a_dns_client_without_a_dns_section_is_refused():
    problems_found = problems(REPO / "experiments" / "dns.yaml", without_dns=True)
    assert any("workload.params: the dns-client workload needs the spec's dns section" in p
               for p in problems_found), problems_found


SWARM = """\
experiment: swarm
title: groups, workloads and a timeline
model: access_link
duration_s: 60
topology:
  builder: star
  params:
    groups:
      servers: {hosts: [origin, cache]}
      peers: {count: 4, link: {up: {bw: 1}, down: {bw: 10}}}
services:
  origin: {role: web-origin, host: origin}
workloads:
  browsers:
    role: web-client
    hosts: peer[1-3]
    params: {origin: origin}
    per_host:
      peer2: {rate_per_s: 0}
  late:
    role: page-client
    hosts: [peer4]
    params: {origin: origin}
    start_at: 10
events:
  - {at: 20, link: [peer1, s1], set: {up: {bw: 2}}}
  - {at: 30, service: origin, action: kill}
  - {at: 40, workload: browsers, action: stop, hosts: [peer3]}
monitor:
  access: {node: s1, peers: [peers]}
  lan: {node: s1, peers: [peer1], bw: 10}
"""


def test_groups_ranges_workloads_and_events_resolve():
    experiment = spec.load(write_swarm(SWARM))
    s = experiment.scenarios["default"]
    assert s.all_workloads["browsers"].hosts == ["peer1", "peer2", "peer3"]
    assert s.all_workloads["browsers"].params_for("peer2")["rate_per_s"] == 0
    assert s.all_workloads["browsers"].params_for("peer1") == {"origin": "origin"}
    assert s.monitor["access"].peers == ["peer1", "peer2", "peer3", "peer4"]
    assert [e.kind for e in s.events] == ["link_set", "service_kill", "workload_stop"]
    assert s.events[0].set == {"up": {"bw": 2.0}}
    assert s.events[2].hosts == ["peer3"]


_SWARM_DIR: list = []


def write_swarm(text: str) -> Path:
    import tempfile
    directory = Path(tempfile.mkdtemp())
    _SWARM_DIR.append(directory)
    path = directory / "swarm.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("old, new, field, says", [
    ("hosts: peer[1-3]", "hosts: peer[1-7]", "workloads.browsers.hosts.0",
     "names 'peer5', which does not exist"),
    ("hosts: peer[1-3]", "hosts: [peers, seeds]", "workloads.browsers.hosts.1",
     "host 'seeds' does not exist"),
    ("      peer2: {rate_per_s: 0}", "      peer4: {rate_per_s: 0}",
     "workloads.browsers.per_host.peer4", "not one of this workload's hosts"),
    ("      peer2: {rate_per_s: 0}", "      peer2: {speed: 0}",
     "workloads.browsers.per_host.peer2.speed", "no parameter"),
    ("  - {at: 20, link", "  - {at: -5, link", "events.0.at", "before the workloads start"),
    ("  - {at: 20, link", "  - {at: 61, link", "events.0.at", "after the run ends"),
    ("  - {at: 20, link", "  - {at: soon, link", "events.0.at", "not seconds or a share"),
    ("link: [peer1, s1]", "link: [peer1, peer2]", "events.0.link", "no link peer1-peer2"),
    ("link: [peer1, s1]", "link: [peer9, s1]", "events.0.link.0", "does not exist"),
    ("set: {up: {bw: 2}}", "set: {up: {bw: fast}}", "events.0.set.up.bw", "not a rate"),
    ("service: origin, action: kill", "service: origni, action: kill", "events.1.service",
     "no service 'origni'"),
    ("workload: browsers, action: stop", "workload: browser, action: stop",
     "events.2.workload", "no workload 'browser'"),
    ("action: stop, hosts: [peer3]", "action: stop, hosts: [peer4]", "events.2.hosts",
     "not one of workload 'browsers''s hosts"),
    ("    start_at: 10", "    start_at: 60", "workloads.late.start_at", "not before the end"),
    ("  - {at: 30, service: origin, action: kill}", "  - {at: 30, service: origin}",
     "events.1", "needs an action"),
    ("peers: {count: 4,", "peers: {count: 0,", "topology.params.groups.peers.count",
     "count must be"),
])
def test_bad_roles_groups_and_events_name_file_line_and_field(old, new, field, says):
    assert old in SWARM, old
    text = SWARM.replace(old, new, 1)
    path = write_swarm(text)
    found = problems(path)
    match = [p for p in found if f": {field}: " in p]
    assert match, found
    line = text[:text.index(new) + len(new)].count("\n") + 1
    assert match[0].startswith(f"{path}:{line}:"), (match[0], line)
    assert says in match[0], match[0]


def test_workload_and_workloads_together_are_refused():
    text = SWARM.replace("workloads:\n", "workload: {role: web-client, hosts: [peer1]}\n"
                         "workloads:\n", 1)
    assert any("not both" in p for p in problems(write_swarm(text)))


def test_a_model_reads_the_monitors_it_declares():
    text = SWARM.replace("  access: {node: s1, peers: [peers]}\n", "")
    found = problems(write_swarm(text))
    assert any(": monitor: " in p and "named 'access'" in p for p in found), found


# Every form parse_rate_mbps accepts for 1.54 Mb/s.
RATE_FORMS = ["1.54", "1.54Mbit", "1.54Mbps", "1.54mb/s", "1540kbit", "1540kbps", "1540kb/s",
              "1540000bit", "1540000bps", "1540000b/s", "0.00154Gbit", "0.00154gbps",
              "0.00154Gb/s", "1.54 Mbit"]


@pytest.mark.parametrize("form", RATE_FORMS)
def test_bw_with_units_reaches_everything_as_mbps(tmp_path, monkeypatch, form):
    from orchestrator.experiment import runner

    path, _ = variant(tmp_path, "access_link: {bw: 1.54}", f"access_link: {{bw: '{form}'}}")
    experiment = spec.load(path)
    for scenario_spec in experiment.scenarios.values():
        link = scenario_spec.topology.params["access_link"]
        assert link == {"bw": pytest.approx(1.54)} or link["bw"] == 154
    calibrated = []

    class Result:
        realizer = "relay"
        rtt_ms = {"median": 0.0, "configured": 0.0}
        goodput_mbps = {"measured": 1.5}

    monkeypatch.setattr(runner, "choose_realizer", lambda requested, own: "relay")

    monkeypatch.setattr(runner, "run_linktest",
                        lambda link, *a, **k: calibrated.append(link) or Result())
    monkeypatch.setattr(runner, "CALIBRATION_CACHE", tmp_path / "cache")
    runner.calibrate(experiment, tmp_path, runner.Console(quiet=True))
    assert {"bw": pytest.approx(1.54)} in calibrated


EMAIL = REPO / "experiments" / "email.yaml"


@pytest.mark.parametrize("old, new, field, says", [
    ("to: [bob@hamburger.edu], messages: 3}", "to: [bob@hamburger.com], messages: 3}",
     "workloads.alice.params.to.0", "no mail-server holds the domain 'hamburger.com'"),
    ("to: [bob@hamburger.edu], messages: 3}", "to: [rob@hamburger.edu], messages: 3}",
     "workloads.alice.params.to.0", "hamburger.edu has no mailbox 'rob'"),
    ("params: {server: hmb-imap, user: bob@hamburger.edu, expect: 3}",
     "params: {server: hmb-mta, user: bob@hamburger.edu, expect: 3}",
     "workloads.bob.params.server", "imap-server"),
])
def test_bad_mail_input_names_file_line_and_field(tmp_path, old, new, field, says):
    text = EMAIL.read_text()
    assert old in text, old
    text = text.replace(old, new, 1)
    path = write(tmp_path, text)
    line = text[:text.index(new)].count("\n") + 1
    match = [p for p in problems(path) if f": {field}: " in p]
    assert match and match[0].startswith(f"{path}:{line}:") and says in match[0], match


BITTORRENT = REPO / "experiments" / "bittorrent.yaml"


def test_strict_tit_for_tat_is_refused_where_libtorrent_has_too_few_peer_classes(tmp_path):
    path, _ = variant(tmp_path, "peers: {count: 24,", "peers: {count: 40,", BITTORRENT)
    strict = "params: {strict_tit_for_tat: true}"
    line = path.read_text()[:path.read_text().index(strict)].count("\n") + 1
    match = [p for p in problems(path, only=["free-rider"]) if "strict_tit_for_tat" in p]
    assert match and match[0].startswith(f"{path}:{line}:"), match
    assert "at most 29" in match[0] and "40 hosts besides" in match[0]


def test_a_model_refuses_a_workload_that_turns_off_what_it_reads(tmp_path):
    path, line = variant(tmp_path, "leave_when_done: true}",
                         "leave_when_done: true, record_neighbours: false}", BITTORRENT)
    match = [p for p in problems(path) if ": workloads.swarm.params.record_neighbours: " in p]
    assert match and match[0].startswith(f"{path}:{line}:"), match
    assert "the bittorrent model reads what this turns off" in match[0]
