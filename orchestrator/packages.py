"""The Debian packages applab needs, each declared once where it is needed:
a role's in its class (``packages`` in its host, ``machine_packages`` on the
machine for it, ``packaged_units`` the packaged daemons to keep stopped:
services/base.py), applab's own tools' in ``TOOLS`` below.

Read from the source, not imported, so that scripts/install.sh can ask
before anything is installed, with the system's Python alone::

    python3 -m orchestrator.packages apt      # every package to install
    python3 -m orchestrator.packages units    # packaged daemons to keep stopped
    python3 -m orchestrator.packages mirror   # the Debian mirror apt uses here

Names are declared as Debian 12 has them; ``RENAMED`` gives another
release's name where it differs, and the machine's release (from
/etc/os-release) decides. A release not in ``RELEASES`` is refused.
"""
from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[1] / "services"
OS_RELEASE = Path("/etc/os-release")
APT_SOURCES = (Path("/etc/apt/sources.list.d"), Path("/etc/apt/sources.list"))
DEFAULT_MIRROR = "http://deb.debian.org/debian"

# The Debian releases applab installs on: VERSION_ID -> codename.
RELEASES = {"12": "bookworm", "13": "trixie"}
# Release -> declared name -> that release's name for the package.
RENAMED = {
    "13": {"dnsutils": "bind9-dnsutils",   # only a virtual name in 13
           "nginx-light": "nginx"},        # a transitional package in 13
}


class UnsupportedRelease(RuntimeError):
    """The machine is not a Debian release applab installs on."""


def machine_release(os_release: Path = OS_RELEASE) -> str:
    """The machine's Debian release (VERSION_ID), if applab installs on it."""
    fields = {}
    if os_release.exists():
        for line in os_release.read_text().splitlines():
            key, _, value = line.partition("=")
            fields[key] = value.strip().strip('"')
    supported = " and ".join(f"Debian {v} ({c})" for v, c in RELEASES.items())
    if fields.get("ID") != "debian" or fields.get("VERSION_ID") not in RELEASES:
        raise UnsupportedRelease(
            f"applab installs on {supported}; this machine is "
            f"{fields.get('PRETTY_NAME', 'of no release it names in ' + str(os_release))}")
    return fields["VERSION_ID"]


def named_for(packages: list[str], release: str) -> list[str]:
    """``packages`` as ``release`` names them."""
    renamed = RENAMED.get(release, {})
    return list(dict.fromkeys(renamed.get(p, p) for p in packages))

# Package -> what of applab's own needs it (the roles declare theirs).
TOOLS = {
    "mininet": "the emulator",
    "openvswitch-switch": "Open vSwitch switches (switch: ovs, ovs-user)",
    "bridge-utils": "Linux bridge switches (switch: lxbr)",
    "iproute2": "ip and tc: addresses, routes, shaping",
    "ethtool": "checksum offload off on hosts of the userspace datapath",
    "iperf3": "applab linktest's goodput",
    "iputils-ping": "applab linktest's round trips",
    "tcpdump": "a spec's captures",
    "psmisc": "Mininet's cleanup (killall)",
    "procps": "sysctl and pkill in hosts",
    "curl": "assignments' checks of a web proxy",
    "netcat-openbsd": "assignments' checks, and what a student tests a server with",
    "python3-venv": "applab's environment",
    "python3-pip": "applab's environment",
    "user-mode-linux": "make test-netem: a kernel with sch_netem as a process",
    "patchelf": "make test-netem: a newer user-mode kernel pointed at its own libc",
    "docker.io": "container hosts",
    "debootstrap": "container hosts' images, built from Debian",
    "openssh-client": "several machines: Mininet's cluster edition",
    "openssh-server": "several machines: a worker's sshd",
    "sudo": "several machines: Mininet's cluster edition runs commands with it",
    "graphviz": "topology drawings (applab topo, each run's report)",
    "chromium": "the reports' tests, in a real browser",
    "chromium-driver": "the reports' tests, in a real browser",
    "fonts-dejavu-core": "the reports' screenshots",
    "swaks": "the mail tests: an ordinary SMTP client beside applab's own",
}


FIELDS = ("packages", "machine_packages", "packaged_units")


@dataclass(frozen=True)
class _Declared:
    bases: tuple[str, ...]
    role: str | None
    fields: dict[str, tuple[str, ...]]


def _declarations(folder: Path) -> dict[str, _Declared]:
    """Every class of ``folder``'s modules, by name, with what it declares."""
    found = {}
    for path in sorted(folder.rglob("*.py")):
        for node in ast.parse(path.read_text(), filename=str(path)).body:
            if not isinstance(node, ast.ClassDef):
                continue
            values = {}
            for item in node.body:
                if (isinstance(item, ast.Assign) and len(item.targets) == 1
                        and isinstance(item.targets[0], ast.Name)
                        and item.targets[0].id in ("role", *FIELDS)):
                    values[item.targets[0].id] = ast.literal_eval(item.value)
            bases = tuple(b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")
                          for b in node.bases)
            found[node.name] = _Declared(bases, values.get("role"),
                                         {f: tuple(values.get(f, ())) for f in FIELDS})
    return found


def _inherited(name: str, classes: dict[str, _Declared], field: str) -> tuple[str, ...]:
    """A class's ``field`` and its bases', base first, each once (Role.declared)."""
    declared = classes.get(name)
    if declared is None:
        return ()
    found = [item for base in declared.bases for item in _inherited(base, classes, field)]
    return tuple(dict.fromkeys([*found, *declared.fields[field]]))


def declared_by_roles(field: str, folder: Path = SERVICES) -> dict[str, tuple[str, ...]]:
    """Each built-in role's ``field`` (one of FIELDS), with that of the
    classes it extends."""
    classes = _declarations(folder)
    return {d.role: _inherited(name, classes, field) for name, d in classes.items() if d.role}


def role_packages(folder: Path = SERVICES) -> dict[str, tuple[str, ...]]:
    """Each role's packages in its host: what a container host's image holds."""
    return declared_by_roles("packages", folder)


def packaged_units(folder: Path = SERVICES) -> list[str]:
    """The packaged daemons of every role's packages, to keep stopped."""
    return _union(declared_by_roles("packaged_units", folder).values())


def apt_packages(folder: Path = SERVICES) -> list[str]:
    """Every package applab installs: its tools', then its roles'."""
    return _union([tuple(TOOLS), *declared_by_roles("packages", folder).values(),
                   *declared_by_roles("machine_packages", folder).values()])


def _union(groups) -> list[str]:
    return list(dict.fromkeys(item for group in groups for item in group))


def debian_mirror(sources: tuple[Path, ...] = APT_SOURCES) -> str:
    """The machine's own Debian mirror, as apt knows it."""
    files = [f for s in sources for f in ([s] if s.is_file() else sorted(s.glob("*")))
             if f.suffix in (".list", ".sources") or f.name == "sources.list"]
    for file in files:
        for line in file.read_text(errors="replace").splitlines():
            words = line.split()
            if words[:1] == ["URIs:"] or words[:1] == ["deb"]:
                uri = words[1] if words[0] == "URIs:" else next(
                    (w for w in words[1:] if "://" in w), "")
                if uri.rstrip("/").endswith("/debian"):
                    return uri
    return DEFAULT_MIRROR


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in ("apt", "units", "release", "mirror"):
        print("usage: python3 -m orchestrator.packages apt|units|release|mirror",
              file=sys.stderr)
        return 2
    try:
        release = machine_release()
    except UnsupportedRelease as exc:
        print(f"applab: {exc}", file=sys.stderr)
        return 1
    answers = {"apt": lambda: named_for(apt_packages(), release), "units": packaged_units,
               "release": lambda: [release], "mirror": lambda: [debian_mirror()]}
    print("\n".join(answers[argv[0]]()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
