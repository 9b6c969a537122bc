"""Spec validation: every bad input is reported with file, line and field,
before anything starts."""
from pathlib import Path

import pytest
from click.testing import CliRunner

from orchestrator import cli as cli_module
from orchestrator.experiment import scenario, spec
from orchestrator.experiment.spec import SpecError

REPO = Path(__file__).resolve().parents[4]
ACCESS_LINK = REPO / "experiments" / "access-link.yaml"


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "exp.yaml"
    path.write_text(text)
    return path


def variant(tmp_path, old: str, new: str) -> tuple[Path, int]:
    """The access-link spec with one change; returns it and the line number
    of the last line of the change (where a newly added key sits)."""
    text = ACCESS_LINK.read_text()
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
    assert list(experiment.scenarios) == ["a", "b", "c", "d"]
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
    ("      hit_rate: {tolerance: 0.05, textbook: 0.4}", "      hit_ratio: {tolerance: 0.05}",
     "checks.hit_ratio", "no check"),
    ("  access: {node: isp, peers: [gw]", "  access: {node: isp, peers: [gateway]",
     "monitor.access.peers.0", "does not exist"),
])
def test_bad_input_names_file_line_and_field(tmp_path, old, new, field, says):
    assert_reported_at(tmp_path, old, new, field, says)


def assert_reported_at(tmp_path, old, new, field, says):
    path, line = variant(tmp_path, old, new)
    found = problems(path)
    match = [p for p in found if f": {field}: " in p]
    assert match, found
    assert match[0].startswith(f"{path}:{line}:"), (match[0], line)
    assert says in match[0]


def test_a_capture_on_a_missing_link(tmp_path):
    path, line = variant(tmp_path, "plots: [utilisation, delay_cdf, delay_time]",
                         "plots: [utilisation, delay_cdf, delay_time]\n"
                         "captures:\n  - {node: client1, peer: isp}")
    found = problems(path)
    assert any(": captures.0.peer: 'client1' has no link to 'isp'" in p for p in found), found


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


def test_a_service_named_like_a_dns_server_host_is_refused(tmp_path):
    path, _ = variant(tmp_path, "services:\n  origin:", "services:\n  root:\n"
                      "    role: web-origin\n    host: origin\n  origin:")
    assert any("clash with the DNS servers" in p for p in problems(path))


def test_a_dns_client_without_a_dns_section_is_refused():
    problems_found = problems(REPO / "experiments" / "dns.yaml", without_dns=True)
    assert any("workload.params: the dns-client workload needs the spec's dns section" in p
               for p in problems_found), problems_found
