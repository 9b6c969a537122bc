"""The Debian packages, each declared once: read from the roles' source as
the roles themselves say when imported, by the system's Python alone, and
the only list scripts/install.sh installs from."""
import subprocess

import pytest

from orchestrator.packages import FIELDS, TOOLS, apt_packages, declared_by_roles
from services import ROLES
from tests.paths import REPO


@pytest.mark.parametrize("field", FIELDS)
def test_reading_the_source_finds_what_each_imported_role_declares(field):
    read = declared_by_roles(field)
    assert {cls.role: cls.declared(field) for cls in ROLES} == read


def test_a_role_that_extends_another_adds_to_its_packages():
    packages = declared_by_roles("packages")
    assert packages["cdn-edge"] == packages["web-origin"] == ("nginx-light",)
    assert declared_by_roles("machine_packages")["web-origin"] == ("ffmpeg",)
    assert declared_by_roles("machine_packages")["cdn-edge"] == ()


def test_every_daemon_a_role_runs_and_every_tool_is_installed_once():
    wanted = apt_packages()
    assert len(wanted) == len(set(wanted))
    assert set(TOOLS) <= set(wanted)
    assert {"nginx-light", "squid", "bind9", "unbound", "postfix", "dovecot-imapd",
            "opentracker", "caddy", "pdns-server"} <= set(wanted)


def test_the_system_python_alone_answers_install_sh():
    """Before anything is installed: no site-packages, no applab environment."""
    run = subprocess.run(["/usr/bin/python3", "-E", "-s", "-S", "-m", "orchestrator.packages",
                          "apt"], cwd=REPO, capture_output=True, text=True, check=True)
    assert run.stdout.split() == apt_packages()


def test_install_sh_keeps_no_list_of_its_own():
    script = (REPO / "scripts" / "install.sh").read_text()
    assert "orchestrator.packages" in script
    for package in ("nginx-light", "bind9", "openvswitch-switch", "chromium-driver"):
        assert package not in script, package
