"""`applab clean`: remove whatever a run could have left, like `mn -c`."""
from __future__ import annotations

import glob
import os
import re
import shutil

import psutil

from orchestrator.emulation import shared, state
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


def _of_live_runs(proc: psutil.Process, live: list[state.RunState]) -> bool:
    """Recorded by a live run, or started by one."""
    if any(proc.pid in {pid for _, pid, _ in run.pids()} for run in live):
        return True
    owners = {run.info["owner"] for run in live}
    try:
        return any(parent.pid in owners for parent in proc.parents())
    except psutil.Error:
        return False


def stray_processes(live: list[state.RunState] = ()) -> list[psutil.Process]:
    """Processes of applab's kinds that no live run (of ``live``) owns."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if any(mark in cmdline for mark in STRAY_PROCESS_MARKS) and \
                not _of_live_runs(proc, list(live)):
            found.append(proc)
    return found


def stray_interfaces(live: list[state.RunState] = ()) -> list[str]:
    """Mininet's interfaces in the machine's namespace that no live run's
    switches own (runs of their own namespace have none here)."""
    live_switches = {s for run in live for s in run.info["switches"]}
    return [name for name in state.root_links() if MININET_INTF.match(name)
            and name.split("-eth")[0] not in live_switches]


def live_runs() -> list[state.RunState]:
    return [run for run in state.all_states() if run.owner_alive]


def clean_all(say=print) -> list[str]:
    """Clean every recorded run whose process is gone, then sweep for
    strays of unrecorded ones; live runs and what they own are left alone
    (said through ``say``)."""
    removed = []
    live = []
    for run_state in state.all_states():
        if run_state.owner_alive:
            live.append(run_state)
            say(f"left alone: the run of {run_state.info['run_dir']} "
                f"(its process {run_state.info['owner']} is running)")
        else:
            removed += state.clean(run_state)
    for proc in stray_processes(live):
        try:
            proc.kill()
            removed.append(f"process {proc.pid} ({' '.join(proc.cmdline())[:60]})")
        except psutil.Error:
            pass
    psutil.wait_procs(stray_processes(live), timeout=3)
    for name in stray_interfaces(live):
        if run_root(["ip", "link", "del", name], check=False).returncode == 0:
            removed.append(f"interface {name}")
    in_use = {d for run in live for d in run.runtime_dirs()}
    for home in state.runtime_homes():
        if home not in in_use:
            shutil.rmtree(home, ignore_errors=True)
            removed.append(f"runtime directory {home}")
    for path in glob.glob(SHM_PATTERN):
        if not any(d.name in path for d in in_use):   # Squid names it by its run's
            os.unlink(path)
            removed.append(f"shared memory {path}")
    for setting in shared.SETTINGS:
        removed += setting.clean()
    return removed + clean_containers(live)


def clean_containers(live: list[state.RunState] = ()) -> list[str]:
    """Every container labelled as applab's but live runs', then a dockerd
    a killed run left (none while a run lives: it may use it)."""
    client = client_or_none()
    keep = frozenset(run.path.name for run in live)
    removed = [f"container {name}" for name in remove_labelled(client, keep_runs=keep)] \
        if client else []
    return removed + ([] if live else stop_left_engine())
