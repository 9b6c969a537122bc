"""The run manifest: what ran, where, with which tools and link realizer."""
from __future__ import annotations

import functools
import json
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from orchestrator.emulation import apart
from orchestrator.packages import UnsupportedRelease, machine_release, named_for

REPO_ROOT = Path(__file__).resolve().parents[2]
# Each tool and the argv that prints its version.
TOOL_VERSIONS = {
    "mininet": ["mn", "--version"],
    "iproute2": ["ip", "-V"],
    "iperf3": ["iperf3", "--version"],
}


def _first_line(argv: list[str]) -> str:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable ({exc})"
    text = (result.stdout or result.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


def package_versions(packages: list[str]) -> dict[str, str]:
    """The installed version of each Debian package (its daemons and tools),
    as its release names it; a package not installed is left out."""
    if not packages:
        return {}
    try:
        result = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\\n",
                                 *named_for(packages, machine_release())],
                                capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired, UnsupportedRelease):
        return {}
    return dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)


def git_commit() -> str:
    return _first_line(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"])


@functools.cache
def tool_versions() -> dict[str, str]:
    """Asked once a process: a run writes its manifest twice, and asking
    the tools takes a third of a second."""
    return {name: _first_line(argv) for name, argv in TOOL_VERSIONS.items()}


def environment(namespace: str | None = None) -> dict:
    return {
        "kernel": platform.release(),
        "python": platform.python_version(),
        "git_commit": git_commit(),
        "tools": tool_versions(),
        # The run's own network namespace, or the machine's (apart.kept_apart);
        # a run's scenarios say where each ran.
        "network_namespace": namespace or apart.current,
    }


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_run_dir(base: Path, name: str) -> Path:
    """results/<name>-<timestamp>, as the results contract names them."""
    return Path(base) / f"{name}-{datetime.now().strftime('%Y%m%d-%H%M%S-%f')}"


def write_manifest(run_dir: Path, namespace: str | None = None, **fields) -> Path:
    path = Path(run_dir) / "manifest.json"
    path.write_text(json.dumps({**fields, "environment": environment(namespace)}, indent=2,
                               default=str) + "\n")
    return path
