"""One pass rewrites a scenario's values (links in Mb/s, groups and ranges
to hosts, shares of the duration to seconds); the checks of meaning then
only report, and leave the scenario as they found it."""
import copy

from orchestrator.experiment import spec
from orchestrator.experiment.spec.meaning import check_semantics
from orchestrator.experiment.spec.normalise import normalise
from orchestrator.experiment.spec.problems import Problems
from tests.paths import ACCESS_LINK, EXPERIMENTS


def test_links_and_shares_of_the_duration_are_rewritten(tmp_path):
    text = ACCESS_LINK.read_text().replace("access_link: {bw: 1.54}",
                                           "access_link: {bw: 1540kbit}")
    (tmp_path / "access.yaml").write_text(text)
    scenario = spec.load(tmp_path / "access.yaml", only=["d"]).scenarios["d"]
    assert scenario.topology.params["access_link"]["bw"] == 1.54
    upgrade = scenario.events[0]
    assert upgrade.at == scenario.duration_s / 2
    assert upgrade.set["bw"] == 15.4


def test_ranges_and_per_host_keys_become_hosts():
    experiment = spec.load(EXPERIMENTS / "bittorrent.yaml", only=["churn", "free-rider"])
    churn = experiment.scenarios["churn"]
    assert churn.workloads["swarm"].hosts == [f"peer{i}" for i in range(1, 19)]
    assert list(experiment.scenarios["free-rider"].workloads["swarm"].per_host) == ["peer24"]


def test_the_checks_of_meaning_change_nothing():
    scenario = spec.load(EXPERIMENTS / "bittorrent.yaml", only=["churn"]).scenarios["churn"]
    problems = Problems({})
    topo = normalise(scenario, problems)
    check_semantics(scenario, topo, problems)
    assert problems.items == []
    # Values as written, not yet rewritten: the checks leave them so.
    scenario.workloads["swarm"].hosts = ["peer[1-18]"]
    scenario.events[0].at = "50%"
    before = copy.deepcopy(scenario.model_dump())
    check_semantics(scenario, topo, Problems({}))
    assert scenario.model_dump() == before
