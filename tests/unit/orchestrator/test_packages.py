"""The Debian packages, each declared once: read from the roles' source as
the roles themselves say when imported, by the system's Python alone, and
the only list scripts/install.sh installs from."""
import subprocess

import pytest

from orchestrator.packages import (
    FIELDS,
    TOOLS,
    UnsupportedRelease,
    apt_packages,
    declared_by_roles,
    machine_release,
    named_for,
)
from services.registry import ROLES
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
    assert run.stdout.split() == named_for(apt_packages(), machine_release())


def test_install_sh_keeps_no_list_of_its_own():
    script = (REPO / "scripts" / "install.sh").read_text()
    assert "orchestrator.packages" in script
    for package in ("nginx-light", "bind9", "openvswitch-switch", "chromium-driver"):
        assert package not in script, package


def os_release(tmp_path, text: str):
    path = tmp_path / "os-release"
    path.write_text(text)
    return path


def test_the_release_decides_the_names_and_others_are_refused(tmp_path):
    trixie = os_release(tmp_path, 'ID=debian\nVERSION_ID="13"\nVERSION_CODENAME=trixie\n')
    assert machine_release(trixie) == "13"
    names = named_for(apt_packages(), "13")
    assert "bind9-dnsutils" in names and "dnsutils" not in names
    assert "nginx" in names and "nginx-light" not in names
    assert named_for(apt_packages(), "12") == apt_packages()
    ubuntu = os_release(tmp_path, 'ID=ubuntu\nVERSION_ID="24.04"\n'
                                  'PRETTY_NAME="Ubuntu 24.04 LTS"\n')
    with pytest.raises(UnsupportedRelease, match=r"applab installs on Debian 12 \(bookworm\) "
                                                 r"and Debian 13 \(trixie\); this machine is "
                                                 r"Ubuntu 24.04 LTS"):
        machine_release(ubuntu)
