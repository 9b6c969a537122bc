"""Scenarios in worker processes, measured one at a time, the next prepared
while one measures (experiment/pipeline.py). The jobs here are small
functions that keep a log of when they prepared and measured; each worker
takes a network namespace of its own, as a scenario does."""
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest
from rich.console import Console

from orchestrator.emulation import priority
from orchestrator.emulation.waiting import wait_until
from orchestrator.experiment.pipeline import Job, Pipeline, ScenarioProcessError

# Long enough that the next job's preparation falls inside it.
MEASURE_S = 1.5
PREPARE_S = 0.3
NEEDS = SimpleNamespace(switch="lxbr", controller=None, machines={}, containers={})


def fake_run(name: str):
    """What Turn.begin reads of a ScenarioRun: its spec's name and its hosts."""
    return SimpleNamespace(spec=SimpleNamespace(scenario=name), net=SimpleNamespace(hosts=[]))


def daemon() -> int:
    """A process started as a daemon is: it leaves the starter's tree."""
    out = subprocess.run(["sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $!"],
                         capture_output=True, text=True, check=True).stdout
    return int(out)


def timed_job(name: str, log: Path, fails: BaseException | None = None,
              prepare_ahead: bool = True) -> Job:
    def body(console, turn, where):
        entry = {"name": name, "where": where, "started": time.monotonic(),
                 "nice_preparing": os.getpriority(os.PRIO_PROCESS, 0)}
        console.print(f"{name} prepared")
        left = daemon()
        try:
            entry["daemon_preparing"] = os.getpriority(os.PRIO_PROCESS, left)
            time.sleep(PREPARE_S)
            turn.begin(fake_run(name))
            entry["nice_measuring"] = os.getpriority(os.PRIO_PROCESS, 0)
            entry["daemon_measuring"] = os.getpriority(os.PRIO_PROCESS, left)
        finally:
            os.kill(left, signal.SIGKILL)
        entry["measuring"] = time.monotonic()
        if fails is not None:
            raise fails
        time.sleep(MEASURE_S)
        entry["drained"] = time.monotonic()
        turn.end()
        time.sleep(PREPARE_S)       # its teardown
        entry["ended"] = time.monotonic()
        with open(log, "a") as handle:
            handle.write(json.dumps(entry) + "\n")
        console.print(f"{name} torn down")
        return name.upper()
    return Job(name, NEEDS, body, title=f"job {name}", duration_s=MEASURE_S,
               prepare_ahead=prepare_ahead)


def entries(log: Path) -> dict:
    return {e["name"]: e for e in map(json.loads, log.read_text().splitlines())}


def run(jobs, overlap=True):
    out = io.StringIO()
    results = {}
    Pipeline(Console(file=out, width=100), overlap=overlap).run(
        jobs, lambda name, value: results.__setitem__(name, value))
    return results, out.getvalue()


def test_the_next_job_prepares_while_one_measures_and_they_measure_one_at_a_time(
        tmp_path, clean_machine):
    log = tmp_path / "log"
    results, printed = run([timed_job(n, log) for n in ("a", "b", "c")])
    assert results == {"a": "A", "b": "B", "c": "C"}
    found = entries(log)
    for before, after in (("a", "b"), ("b", "c")):
        # Prepared inside the one before's window, measured after it drained.
        assert found[after]["started"] < found[before]["drained"]
        assert found[after]["measuring"] >= found[before]["drained"]
    for entry in found.values():
        assert entry["where"] == "own"
        assert entry["nice_preparing"] == entry["daemon_preparing"] == priority.PREPARING_NICE
        assert entry["nice_measuring"] == entry["daemon_measuring"] == priority.MEASURING_NICE
    # Each job's lines come out whole and in the jobs' order.
    lines = [line for line in printed.splitlines() if "prepared" in line or "torn" in line]
    assert lines == ["a prepared", "a torn down", "b prepared", "b torn down",
                     "c prepared", "c torn down"]


def test_a_job_that_does_not_prepare_ahead_has_the_next_prepared_after_it_and_measured_alone(
        tmp_path, clean_machine):
    log = tmp_path / "log"
    run([timed_job(n, log, prepare_ahead=False) for n in ("a", "b")])
    found = entries(log)
    # Prepared while the one before tore down; measured once it had ended.
    assert found["a"]["drained"] <= found["b"]["started"] < found["a"]["ended"]
    assert found["b"]["measuring"] > found["a"]["ended"]


def test_without_overlap_a_job_starts_once_the_one_before_has_ended(tmp_path, clean_machine):
    log = tmp_path / "log"
    run([timed_job(n, log) for n in ("a", "b")], overlap=False)
    found = entries(log)
    assert found["b"]["started"] > found["a"]["ended"]


def test_a_job_that_takes_no_turns_keeps_the_normal_priority(clean_machine):
    job = Job("calibration", NEEDS, lambda console, turn, where: os.getpriority(
        os.PRIO_PROCESS, 0), takes_turns=False)
    results, _ = run([job])
    assert results == {"calibration": priority.MEASURING_NICE}


def test_a_run_killed_outright_takes_its_workers_with_it(tmp_path, clean_machine):
    """As a run in one process was: `applab clean` removes what they left."""
    worker = tmp_path / "worker.pid"
    parent = subprocess.Popen([sys.executable, "-c", KILLED_PARENT.format(pidfile=worker)])
    wait_until(worker.exists, STARTED_WITHIN_S, "the worker started")
    pid = int(worker.read_text())
    parent.kill()
    parent.wait()
    wait_until(lambda: not psutil.pid_exists(pid) or
               psutil.Process(pid).status() == psutil.STATUS_ZOMBIE,
               STARTED_WITHIN_S, "the worker died with its parent")


STARTED_WITHIN_S = 30
KILLED_PARENT = """
import os, time
from pathlib import Path
from types import SimpleNamespace
from rich.console import Console
from orchestrator.experiment.pipeline import Job, Pipeline
needs = SimpleNamespace(switch="lxbr", controller=None, machines={{}}, containers={{}})
def body(console, turn, where):
    Path("{pidfile}").write_text(str(os.getpid()))
    time.sleep(120)
Pipeline(Console()).run([Job("sleeper", needs, body)], lambda name, value: None)
"""


def test_a_failing_job_fails_the_run_and_the_prepared_one_never_measures(
        tmp_path, clean_machine):
    log = tmp_path / "log"
    with pytest.raises(ValueError, match="the link would not come up"):
        run([timed_job("a", log, fails=ValueError("the link would not come up")),
             timed_job("b", log)])
    assert not log.exists() or "b" not in entries(log)


class Unpicklable(Exception):
    def __init__(self, where, what):
        super().__init__(f"{where}: {what}")


def test_an_error_that_cannot_cross_processes_arrives_as_its_words(tmp_path, clean_machine):
    with pytest.raises(ScenarioProcessError, match="Unpicklable: origin: would not start"):
        run([timed_job("a", tmp_path / "log", fails=Unpicklable("origin", "would not start"))])
