"""What a run's manifest says of the machine: the versions of the Debian
packages its roles ran, as this release names them."""
from orchestrator.experiment import spec
from orchestrator.experiment.manifest import package_versions
from orchestrator.experiment.runner import roles_packages
from orchestrator.packages import machine_release, named_for
from tests.paths import EXPERIMENTS


def test_the_packages_of_the_roles_a_run_uses_are_recorded_with_their_versions():
    experiment = spec.load(EXPERIMENTS / "email.yaml", only=["end-to-end"])
    wanted = roles_packages(experiment)
    assert {"postfix", "dovecot-imapd", "bind9", "unbound"} <= set(wanted)
    assert "squid" not in wanted           # no role of this run needs it
    found = package_versions(wanted)
    assert set(found) == set(named_for(wanted, machine_release()))   # all installed here
    assert found["postfix"][0].isdigit()


def test_a_package_not_installed_is_left_out():
    assert package_versions(["python3", "applab-no-such-package"]).keys() == {"python3"}
