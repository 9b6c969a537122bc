"""Runs over two machines, the second a stand-in made on this one
(standin.py): a host there is reached through a VXLAN tunnel, its share is
torn down with the run (also one started under nohup), and a worker that
cannot take part is refused before anything starts."""
import dataclasses
import signal
import subprocess
import sys

import pytest

from orchestrator.emulation.cluster.machines import (
    WorkerHostKeyError,
    WorkerUnreachable,
    WorkerVersionMismatch,
)
from orchestrator.emulation.cluster.version import identity
from orchestrator.emulation.linktest import ping_rtts, tcp_goodput_mbps
from orchestrator.emulation.network import Network
from orchestrator.emulation.state import all_states
from orchestrator.emulation.waiting import wait_until
from tests.integration.orchestrator.emulation.cluster.standin import (
    StandIn,
    assert_nothing_left_on,
)
from tests.integration.processes import applab_clean, interrupt, kill, leftovers
from topologies.builders import two_hosts

# The relay's 5 ms each way on h1--s1 (its own jitter is under a millisecond),
# and the tunnel's 0.03 ms (the calibration's, here): the RTT within 2 ms of 10.
RTT_TOLERANCE_MS = 2.0
# A 10 Mb/s bottleneck through the tunnel: TCP reaches 90 % of it (9.56 here).
MIN_GOODPUT_FRACTION = 0.9


@pytest.fixture(scope="module")
def worker():
    with StandIn("m2", 0) as standin:
        yield standin


def test_a_host_on_the_second_machine_is_reached_through_the_tunnel(tmp_path, worker,
                                                                    clean_machine):
    topo = two_hosts({"delay": "5ms", "bw": 10})
    with Network(topo, tmp_path, machines={"m2": worker.machine},
                 placement={"h2": "m2"}) as net:
        h1, h2 = net["h1"], net["h2"]
        assert any("mininet:h2" in p for p in worker.processes())
        assert "h2-eth0" not in worker.interfaces()   # in h2's namespace there
        rtts = ping_rtts(h1, h2.IP(), 10, 0.1)
        goodput = tcp_goodput_mbps(h1, h2, h2.IP(), seconds=3)
    assert abs(sorted(rtts)[len(rtts) // 2] - 10.0) <= RTT_TOLERANCE_MS, rtts
    assert goodput >= MIN_GOODPUT_FRACTION * 10
    assert_nothing_left_on(worker)


def test_an_unreachable_worker_is_refused_before_anything_starts(tmp_path, worker,
                                                                 clean_machine):
    closed_port = dataclasses.replace(worker.machine, port=2)
    with pytest.raises(WorkerUnreachable, match=r"machine m2 \(172\.31\.255\.2:2\) is unreachable"):
        Network(two_hosts({}), tmp_path, machines={"m2": closed_port},
                placement={"h2": "m2"}).start()
    assert all_states() == []


def test_a_worker_whose_host_key_is_unknown_is_refused(tmp_path, worker, clean_machine):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    stranger = dataclasses.replace(worker.machine, known_hosts=empty)
    with pytest.raises(WorkerHostKeyError, match="its host key is not in"):
        Network(two_hosts({}), tmp_path / "run", machines={"m2": stranger},
                placement={"h2": "m2"}).start()


def test_a_worker_with_another_applab_is_refused(tmp_path, worker, clean_machine):
    # A checkout whose applab says it is another version.
    other = worker.home / "other-applab"
    (other / ".venv" / "bin").mkdir(parents=True)
    python = other / ".venv" / "bin" / "python"
    python.write_text("#!/bin/sh\necho '{\"version\": \"0.0.9\", \"source\": \"0123\"}'\n")
    python.chmod(0o755)
    older = dataclasses.replace(worker.machine, applab=str(other))
    with pytest.raises(WorkerVersionMismatch, match="machine m2 runs applab 0.0.9"):
        Network(two_hosts({}), tmp_path, machines={"m2": older},
                placement={"h2": "m2"}).start()
    assert all_states() == []


# A run's bring-up and the program's start over SSH take seconds here.
RUN_START_TIMEOUT_S = 60


def running_there(worker: StandIn, program: str) -> None:
    wait_until(lambda: any(program in p for p in worker.processes()), RUN_START_TIMEOUT_S,
               f"{program!r} running on {worker.name}", poll_s=0.5)


SPEC = """\
experiment: two-machines
title: a program on a second machine
model: programs
duration_s: {duration_s}
topology: {{builder: two_hosts, params: {{link: {{delay: 5ms}}}}}}
machines:
  m2: {{address: {address}, key: {key}, known_hosts: {known_hosts}, applab: {applab}}}
placement: {{h2: m2}}
workload:
  role: program
  hosts: [h2]
  params: {{command: [sleep, "{sleep_s}"]}}
scenarios:
  only: {{title: one program there}}
"""


def spec_for(worker: StandIn, tmp_path, duration_s: int = 60, sleep_s: int = 50):
    """SPEC with the worker's machine, and its program's and run's lengths."""
    machine = worker.machine
    spec = tmp_path / "two.yaml"
    spec.write_text(SPEC.format(address=machine.address, key=machine.key,
                                known_hosts=machine.known_hosts, applab=machine.applab,
                                duration_s=duration_s, sleep_s=sleep_s))
    return spec


@pytest.mark.parametrize("stop", ["ctrl-c", "kill"])
def test_a_run_over_two_machines_leaves_nothing_on_either(tmp_path, worker, clean_machine,
                                                          applab, stop):
    run = applab("run", str(spec_for(worker, tmp_path)), "--out", str(tmp_path / "out"))
    running_there(worker, "sleep 50")
    if stop == "ctrl-c":
        interrupt(run)
    else:
        kill(run)
        assert any("sleep 50" in p for p in worker.processes())   # nobody stopped it
        assert "on m2" in applab_clean()
    assert_nothing_left_on(worker)
    assert leftovers() == []


# The whole run, bring-up to teardown, with a program of a second: well
# under a minute here.
RUN_TIMEOUT_S = 120


def test_a_run_started_under_nohup_still_stops_its_hosts_there(tmp_path, worker,
                                                                clean_machine, applab):
    """nohup starts a run with SIGHUP ignored, which every process inherits;
    Mininet stops a node's shell with SIGHUP, so the ssh to a worker's host
    must not inherit it, or the run waits for that shell for ever."""
    spec = spec_for(worker, tmp_path, duration_s=5, sleep_s=1)
    hangups = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        run = applab("run", str(spec), "--out", str(tmp_path / "out"))
    finally:
        signal.signal(signal.SIGHUP, hangups)
    try:
        _, err = run.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the run did not end within {RUN_TIMEOUT_S} s")
    assert run.returncode == 0, err
    assert_nothing_left_on(worker)
    assert leftovers() == []


def test_the_stand_in_sees_none_of_this_machines_files(worker, tmp_path):
    here_only = tmp_path / "here-only"
    here_only.write_text("x")
    assert worker.ssh(f"test -e {here_only} && echo seen || echo unseen").strip() == "unseen"
    assert worker.ssh("test -e /run/applab && echo seen || echo unseen").strip() == "unseen"


def test_prepare_installs_on_the_worker_and_checks_its_version(tmp_path, worker):
    machine = worker.machine
    prepared = subprocess.run([sys.executable, "-m", "orchestrator.cli", "machine", "prepare",
                               str(spec_for(worker, tmp_path))], capture_output=True, text=True,
                              timeout=1800,
                              check=False)
    assert prepared.returncode == 0, prepared.stderr
    assert f"install.sh: ready ({machine.applab}/.venv)" in prepared.stdout  # said there
    assert f"m2: ready, {identity()['version']} as here" in prepared.stdout
