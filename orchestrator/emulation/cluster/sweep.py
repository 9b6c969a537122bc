"""Run on a worker machine at the end of a run (and by `applab clean`):
remove what the run left there. A process started in a remote host outlives
its SSH session, so this is how a worker's share is torn down.

``python -m orchestrator.emulation.cluster.sweep SWEEP_JSON`` with
``{"netns": [inode...], "shells": [pid...], "bridges": [name...],
"files": [path...]}``: kills every process in those network namespaces, the
run's node shells and the relays joining them, deletes the bridges and the
files copied there, and prints JSON: what it removed and what is still there
(nothing, or the sweep failed)."""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys

from orchestrator.emulation.waiting import WaitTimeout, wait_until

# A whole sweep, its kills and their wait included, took 0.15 s here; a
# process still in /proc after this long is reported as left.
GONE_TIMEOUT_S = 3.0
RELAY_MARK = "orchestrator.emulation.links.relay"
SHELL_MARK = "mininet:"


def processes() -> dict[int, tuple[str, int | None]]:
    """pid -> (command line, network namespace inode) of every process."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
            inode = os.stat(f"/proc/{pid}/ns/net").st_ino
        except OSError:
            continue    # gone meanwhile, or a kernel thread's namespace
        found[pid] = (cmdline, inode)
    return found


def of_the_run(plan: dict) -> list[int]:
    netns, shells = set(plan["netns"]), set(plan["shells"])
    relay_of = re.compile(r"/proc/(\d+)/ns/net")
    chosen = []
    for pid, (cmdline, inode) in processes().items():
        if pid == os.getpid():
            continue
        if inode in netns or (pid in shells and SHELL_MARK in cmdline) or (
                RELAY_MARK in cmdline and
                any(int(p) in shells for p in relay_of.findall(cmdline))):
            chosen.append(pid)
    return chosen


def sweep(plan: dict) -> dict:
    killed = of_the_run(plan)
    for pid in killed:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(WaitTimeout):   # what is still there is reported below
        wait_until(lambda: not of_the_run(plan), GONE_TIMEOUT_S, "the run's processes gone",
                   poll_s=0.05)
    deleted = [name for name in plan["bridges"]
               if subprocess.run(["ip", "link", "del", name], capture_output=True,
                                 check=False).returncode == 0]
    for path in plan.get("files", []):
        if os.path.lexists(path):
            shutil.rmtree(path, ignore_errors=True)
            deleted.append(path)
            # and the folders made to hold it, up to the first that holds more
            with contextlib.suppress(OSError):
                os.removedirs(os.path.dirname(path))
    left = [f"process {pid}" for pid in of_the_run(plan)]
    left += [f"interface {name}" for name in plan["bridges"]
             if subprocess.run(["ip", "link", "show", name], capture_output=True,
                               check=False).returncode == 0]
    left += [f"file {path}" for path in plan.get("files", []) if os.path.lexists(path)]
    return {"killed": killed, "deleted": deleted, "left": left}


if __name__ == "__main__":
    print(json.dumps(sweep(json.loads(sys.argv[1]))))
