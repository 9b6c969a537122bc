"""The run's OpenFlow controller: a Ryu-API app run by os-ken in the root
namespace, listening on the loopback only, which the run's Open vSwitch
switches connect to.

os-ken, not ryu, as tried here on Python 3.11: ryu 4.34 with eventlet 0.33.3
(and dnspython 2.3) stops on ``ImportError: cannot import name
'ALREADY_HANDLED' from 'eventlet.wsgi'``; with eventlet 0.30.2, which still has
it, eventlet itself does not import (``TypeError: cannot set 'is_timeout'
attribute of immutable type 'TimeoutError'``). os-ken is its maintained fork
with the same app API (``os_ken`` where an app says ``ryu``)."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from orchestrator.emulation.commands import log_shell, run_root
from orchestrator.emulation.waiting import stop_process, wait_until
from orchestrator.errors import AppLabError

APPS = Path(__file__).parent / "apps"
# Controller apps applab ships, by the name a spec gives.
BUILT_IN_APPS = {"l2-learning": APPS / "l2_learning.py"}
PORT_STATS_APP = APPS / "port_stats.py"
LAUNCHER = "orchestrator.emulation.sdn.launcher"
# os-ken listened 0.23 s after its start here (three starts); an app's own
# imports add to that.
LISTEN_TIMEOUT_S = 15.0
# OVS retries a refused connection after at most max_backoff (Mininet's
# reconnectms, 1 s); a switch's handshake then takes milliseconds.
CONNECT_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 5.0


class ControllerError(AppLabError):
    """The controller did not start, or a switch never reached it."""


def free_local_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OpenFlowController:
    """What Mininet asks of a controller (``name``, ``protocol``, ``IP()``,
    ``port``, ``start()``, ``stop()``), for an os-ken process running
    ``app`` and the port-statistics poller. ``on_process(proc)`` is told of
    the process as soon as it exists (the run records it for teardown)."""

    name = "c0"
    protocol = "tcp"

    def __init__(self, app: Path, run_dir: Path, on_process=lambda proc: None,
                 poll_interval_s: float = 1.0):
        self.app = Path(app)
        self.stats_file = Path(run_dir) / "port_stats.jsonl"
        self.log_file = Path(run_dir) / "controller.log"
        self.on_process = on_process
        self.poll_interval_s = poll_interval_s
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None

    def IP(self) -> str:  # noqa: N802 (Mininet's name)
        return "127.0.0.1"

    def start(self) -> None:
        self.port = free_local_port()
        argv = [sys.executable, "-m", LAUNCHER, str(self.port), str(self.app),
                str(PORT_STATS_APP)]
        log_shell("root", " ".join(argv) + " &")
        self.stats_file.touch()
        env = {**os.environ, "APPLAB_PORT_STATS_FILE": str(self.stats_file),
               "APPLAB_PORT_STATS_INTERVAL_S": str(self.poll_interval_s)}
        with open(self.log_file, "ab") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        self.on_process(self.proc)
        wait_until(self.listening, LISTEN_TIMEOUT_S,
                   f"controller app {self.app.name} listening on 127.0.0.1:{self.port}",
                   gave_up=self._exited, poll_s=0.05)

    def listening(self) -> bool:
        out = run_root(["ss", "-Hltn", f"sport = :{self.port}"], check=False).stdout
        return bool(out.strip())

    def _exited(self) -> str | None:
        if self.proc.poll() is None:
            return None
        said = self.log_file.read_text(errors="replace").strip().splitlines()
        return f"exited with {self.proc.returncode}: {' | '.join(said[-3:])}"

    def connected(self) -> set[int]:
        """The datapath ids connected now, as the controller saw them come and go."""
        up: set[int] = set()
        for record in self.records():
            if record.get("event") == "connected":
                up.add(record["dpid"])
            elif record.get("event") == "disconnected":
                up.discard(record["dpid"])
        return up

    def wait_connected(self, dpids: set[int]) -> float:
        """Wait until every switch in ``dpids`` has connected; the seconds it took."""
        return wait_until(lambda: dpids <= self.connected(), CONNECT_TIMEOUT_S,
                          f"switches {sorted(dpids)} connected to the controller",
                          gave_up=self._exited, poll_s=0.05)

    def records(self) -> list[dict]:
        """What the poller wrote: connections and port counters."""
        if not self.stats_file.exists():
            return []
        lines = self.stats_file.read_text().splitlines()
        # The last line may be half-written while the controller runs.
        return [json.loads(line) for line in lines if line.endswith("}")]

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, STOP_TIMEOUT_S, group=True)
