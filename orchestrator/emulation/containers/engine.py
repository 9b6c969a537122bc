"""The Docker engine container hosts run on: one already running is used as
it is; otherwise applab starts ``dockerd`` with no networking of its own
(no bridge, no iptables rules, no forwarding: emulated hosts are wired by
the emulation, and nothing may reach outside). Runs at once share it: the
last one using it stops it."""
from __future__ import annotations

import contextlib
import logging
import subprocess
from collections.abc import Iterator

import psutil

from orchestrator.emulation import state
from orchestrator.emulation.shared import SHARED_ROOT, Users
from orchestrator.emulation.waiting import stop_process, wait_until
from orchestrator.errors import AppLabError

log = logging.getLogger("applab.containers")

DOCKERD_ARGV = ["dockerd", "--iptables=false", "--bridge=none", "--ip-forward=false",
                "--ip-masq=false"]
# Started here, dockerd answered in 0.3 s (make bench); the bound is generous.
ENGINE_START_S = 30.0
ENGINE_STOP_S = 15.0
ENGINE_LOG = state.STATE_ROOT / "dockerd.log"
# The pid of a dockerd applab started, while it runs: `applab clean` stops
# one that a killed run left.
ENGINE_PID = state.STATE_ROOT / "dockerd.pid"
# The runs using it, counted under a lock.
ENGINE_USERS = Users(SHARED_ROOT / "dockerd")


class EngineError(AppLabError):
    """No Docker engine could be reached or started."""


def client_or_none():
    """A client of the running engine, or None if none answers."""
    import docker

    try:
        client = docker.from_env(timeout=10)
        client.ping()
        return client
    except docker.errors.DockerException:
        return None


@contextlib.contextmanager
def engine(say=print) -> Iterator:
    """A Docker client for the duration: of the running engine, or of one
    started here (said through ``say``). An engine applab started is
    shared by the runs that use it, and stopped by the last of them."""
    with ENGINE_USERS.locked():
        client = client_or_none()
        if client is None:
            client = _start(say)
        ENGINE_USERS.join()
    try:
        yield client
    finally:
        with ENGINE_USERS.locked():
            ENGINE_USERS.leave()
            if not ENGINE_USERS.live():
                stop_left_engine()


def _start(say):
    say(f"  no Docker engine is running: starting {' '.join(DOCKERD_ARGV)} "
        f"(log: {ENGINE_LOG})")
    ENGINE_LOG.parent.mkdir(parents=True, exist_ok=True)
    with open(ENGINE_LOG, "ab") as out:
        try:
            proc = subprocess.Popen(DOCKERD_ARGV, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        except FileNotFoundError as exc:
            raise EngineError("dockerd is not installed: run scripts/install.sh") from exc
    client = None

    def answers() -> bool:
        nonlocal client
        client = client_or_none()
        return client is not None

    ENGINE_PID.write_text(str(proc.pid))
    try:
        wait_until(answers, ENGINE_START_S, "the Docker engine",
                   gave_up=lambda: None if proc.poll() is None else
                   f"dockerd exited {proc.returncode}: see {ENGINE_LOG}", poll_s=0.2)
    except BaseException:
        stop_process(proc, ENGINE_STOP_S)
        ENGINE_PID.unlink(missing_ok=True)
        raise
    log.debug("dockerd %d answers", proc.pid)
    return client


def left_engine() -> psutil.Process | None:
    """A dockerd applab started whose run is gone without stopping it."""
    try:
        proc = psutil.Process(int(ENGINE_PID.read_text()))
        return proc if proc.name() == "dockerd" else None
    except (FileNotFoundError, ValueError, psutil.NoSuchProcess):
        return None


def stop_left_engine() -> list[str]:
    """Stop the dockerd applab started: by the last run using it, or by
    `applab clean` after a killed run (its containers first: see
    hosts.remove_labelled); what was stopped."""
    proc = left_engine()
    ENGINE_PID.unlink(missing_ok=True)
    if proc is None:
        return []
    proc.terminate()
    _, alive = psutil.wait_procs([proc], timeout=ENGINE_STOP_S)
    for still in alive:
        still.kill()
    return [f"dockerd {proc.pid}"]
