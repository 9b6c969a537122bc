"""`applab clean`: remove whatever a run could have left, like `mn -c`."""
from __future__ import annotations

import glob
import os
import re
import shutil

import psutil

from orchestrator.emulation import state
from orchestrator.emulation.commands import run_root
from orchestrator.emulation.containers.engine import client_or_none, stop_left_engine
from orchestrator.emulation.containers.hosts import remove_labelled

# Processes a run starts, by a mark in their command line.
STRAY_PROCESS_MARKS = ("orchestrator.emulation.links.relay", "bash --norc --noediting -is mininet:",
                       "orchestrator.emulation.sdn.launcher")
# Shared memory that daemons name after their applab instance (Squid's -n).
SHM_PATTERN = "/dev/shm/applab*"
# Interfaces Mininet names NODE-ethN: only switch ends live in the root namespace.
MININET_INTF = re.compile(r"^[A-Za-z0-9_.]+(-[A-Za-z0-9_.]+)*-eth\d+$")


def stray_processes() -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if any(mark in cmdline for mark in STRAY_PROCESS_MARKS):
            found.append(proc)
    return found


def stray_interfaces() -> list[str]:
    return [name for name in state.root_links() if MININET_INTF.match(name)]


def clean_all() -> list[str]:
    """Clean every recorded run, then sweep for strays of unrecorded ones."""
    removed = []
    for run_state in state.all_states():
        removed += state.clean(run_state)
    for proc in stray_processes():
        try:
            proc.kill()
            removed.append(f"process {proc.pid} ({' '.join(proc.cmdline())[:60]})")
        except psutil.Error:
            pass
    psutil.wait_procs(stray_processes(), timeout=3)
    for name in stray_interfaces():
        if run_root(["ip", "link", "del", name], check=False).returncode == 0:
            removed.append(f"interface {name}")
    for home in state.runtime_homes():
        shutil.rmtree(home, ignore_errors=True)
        removed.append(f"runtime directory {home}")
    for path in glob.glob(SHM_PATTERN):
        os.unlink(path)
        removed.append(f"shared memory {path}")
    return removed + clean_containers()


def clean_containers() -> list[str]:
    """Every container labelled as applab's, then a dockerd a killed run left."""
    client = client_or_none()
    removed = [f"container {name}" for name in remove_labelled(client)] if client else []
    return removed + stop_left_engine()
