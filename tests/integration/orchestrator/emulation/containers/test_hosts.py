"""Container hosts: wired into the emulated links like any host, their
programs run inside them (the image's files, the container's limits), and
nothing is left after a run, Ctrl-C, or a killed run and `applab clean`."""
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from orchestrator.emulation.commands import run_in
from orchestrator.emulation.containers.engine import client_or_none
from orchestrator.emulation.containers.hosts import ContainerSpec
from orchestrator.emulation.containers.images import LABEL
from orchestrator.emulation.network import Network
from orchestrator.emulation.waiting import wait_until
from orchestrator.experiment.contexts import Contexts
from services.base import HostContext
from tests.integration.processes import applab_clean, interrupt, kill, leftovers, wait_for_process
from topologies.builders import two_hosts

# 0.2 of a core should make a CPU-bound loop five times slower; CFS lets a
# throttled group run a whole 100 ms period first, so a short loop shows
# less (4.1 times for 0.17 s measured here).
CPU_SLOWDOWN_MIN = 3.0
BUSY_LOOP = "i=0; while [ $i -lt 600000 ]; do i=$((i+1)); done"
RUN_START_TIMEOUT_S = 60


def timed_in(host, argv) -> tuple[float, str]:
    started = time.monotonic()
    proc = host.program_popen(argv)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    return time.monotonic() - started, out.decode()


def test_container_hosts_are_wired_limited_and_run_their_images_programs(tmp_path,
                                                                         clean_machine):
    containers = {"h1": ContainerSpec("base"), "h2": ContainerSpec("base", cpus=0.2,
                                                                   memory="64m")}
    with Network(two_hosts({"delay": "10ms"}), tmp_path, containers=containers) as net:
        h1, h2 = net["h1"], net["h2"]
        ping = run_in(h1, ["ping", "-c", "3", "-i", "0.2", h2.IP()])
        assert "3 received" in ping
        rtts = [float(line.split("time=")[1].split()[0]) for line in ping.splitlines()
                if "time=" in line]
        assert min(rtts) >= 20.0      # the link's delay, each way
        for host in (h1, h2):
            _, out = timed_in(host, ["sh", "-c", "hostname; cat /etc/debian_version"])
            assert out.split()[0] == host.name
            # A run without DNS leaves it no name server (Docker's copy named the machine's).
            _, resolv = timed_in(host, ["cat", "/etc/resolv.conf"])
            assert "nameserver" not in resolv
            proc = host.program_popen(["sleep", "5"])
            try:
                # The program itself: started by nsenter once it is inside.
                nsenter = psutil.Process(proc.pid)
                wait_until(lambda nsenter=nsenter: any(
                    p.name() == "sleep" for p in nsenter.children(recursive=True)),
                    5, "the program in the container")
                program, = nsenter.children(recursive=True)
                for namespace in ("mnt", "pid", "net"):
                    assert os.readlink(f"/proc/{program.pid}/ns/{namespace}") == \
                        os.readlink(f"/proc/{host.container_pid}/ns/{namespace}")
                assert Path(f"/proc/{program.pid}/cgroup").read_text() == \
                    Path(f"/proc/{host.container_pid}/cgroup").read_text()
            finally:
                proc.kill()
                proc.wait()
        free_s, _ = timed_in(h1, ["sh", "-c", BUSY_LOOP])
        limited_s, _ = timed_in(h2, ["sh", "-c", BUSY_LOOP])
        assert limited_s >= CPU_SLOWDOWN_MIN * free_s, (free_s, limited_s)
        names = [c.name for c in net.container_hosts.client.containers.list(
            filters={"label": f"{LABEL}=container"})]
        assert len(names) == 2


SPEC = """\
experiment: containers
title: a container host running a program
model: programs
duration_s: 60
topology: {builder: two_hosts, params: {link: {delay: 5ms}}}
containers:
  h2: {image: base}
workload:
  role: program
  hosts: [h2]
  params: {command: [sleep, "50"]}
scenarios:
  only: {title: one program}
"""


def started_container(timeout_s: float = RUN_START_TIMEOUT_S):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        client = client_or_none()
        if client and client.containers.list(filters={"label": f"{LABEL}=container"}):
            return
        time.sleep(0.2)
    raise AssertionError("no container host came up")


def spec_file(tmp_path):
    path = tmp_path / "containers.yaml"
    path.write_text(SPEC)
    return path


def test_ctrl_c_during_a_container_run_leaves_nothing(tmp_path, clean_machine, applab):
    run = applab("run", str(spec_file(tmp_path)), "--out", str(tmp_path / "out"))
    wait_for_process("sleep 50", timeout=RUN_START_TIMEOUT_S)   # its program, in the container
    interrupt(run)
    assert leftovers() == []


def test_applab_clean_removes_what_a_killed_container_run_left(tmp_path, clean_machine,
                                                               applab):
    run = applab("run", str(spec_file(tmp_path)), "--out", str(tmp_path / "out"))
    started_container()
    kill(run)
    assert any(item.startswith("container ") for item in leftovers())
    assert "removed container applab-" in applab_clean()
    assert leftovers() == []


@pytest.fixture(autouse=True, scope="module")
def images_built():
    """The images the tests name, built once (cached by their recipes)."""
    subprocess.run([sys.executable, "-m", "orchestrator.cli", "image", "build", "base", "web",
                    "mail"],
                   check=True, capture_output=True, timeout=1800)


class DropsToPostfix:
    """A role whose daemon runs as postfix: its home must be postfix's."""

    user = "postfix"

    def config(self, ctx):
        return {ctx.path("queue", ".keep"): ""}


def test_a_roles_files_belong_to_its_user_as_the_image_knows_it(tmp_path, clean_machine):
    """The mail image made its postfix user with an id of its own (this
    machine's may differ): inside the container the home is postfix's."""
    with Network(two_hosts(), tmp_path, containers={"h2": ContainerSpec("mail")}) as net:
        h2 = net["h2"]
        ctx = HostContext(name="mta", host="h2", ip=h2.IP(), home=tmp_path / "hosts/h2/mta")
        Contexts.write_config(DropsToPostfix(), ctx, h2)
        _, owner = timed_in(h2, ["stat", "-c", "%U", str(ctx.path("queue"))])
        assert owner.strip() == "postfix"


def test_an_images_own_server_can_be_the_hosts_main_process(tmp_path, clean_machine):
    """The web image's nginx as Debian configures it, started as the
    container's command, answers across the emulated link."""
    containers = {"h2": ContainerSpec("web", cmd=("nginx", "-g", "daemon off;"))}
    with Network(two_hosts({"delay": "5ms"}), tmp_path, containers=containers) as net:
        h1, h2 = net["h1"], net["h2"]
        wait_until(lambda: "LISTEN" in run_in(h2, ["ss", "-ltn", "sport = :80"]), 10,
                   "the image's nginx")
        page = run_in(h1, ["curl", "-s", "--max-time", "5", f"http://{h2.IP()}/"])
        assert "Welcome to nginx" in page
