"""Teardown: normal exit, Ctrl-C, SIGTERM and a crash cleaned by `applab clean`."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from orchestrator.emulation.cleanup import stray_processes
from orchestrator.emulation.commands import run_in
from orchestrator.emulation.network import Network, root_namespace_snapshot
from orchestrator.emulation.settings import BRIDGE_NF_SYSCTLS
from orchestrator.emulation.state import all_states
from orchestrator.errors import CommandError
from tests.integration.processes import TEARDOWN_TIMEOUT_S, leftovers, wait_for_process
from topologies.builders import star_lan, two_hosts


@pytest.fixture
def bridge_netfilter_on():
    """bridge-nf-call-iptables at 1, which every run sets to 0 while it runs;
    the machine's own value is put back afterwards."""
    path = Path(BRIDGE_NF_SYSCTLS[1])
    if not path.exists():
        pytest.skip("no br_netfilter here: nothing for a run to change")
    original = path.read_text()
    path.write_text("1\n")
    yield path
    path.write_text(original)


def test_normal_teardown_leaves_nothing(tmp_path, clean_machine):
    with Network(star_lan(4, link={"bw": 100, "delay": "1ms"}), tmp_path) as net:
        assert net.realizer in ("netem", "relay")
        assert "0% packet loss" in net["h1"].cmd("ping -c 1 -W 2", net["h4"].IP())
        shells = [h.shell.pid for h in net.hosts]
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"
                   for pid in shells)
    assert all_states() == []


def test_a_failing_command_raises_with_command_and_stderr(tmp_path, clean_machine):
    with Network(two_hosts(), tmp_path) as net, pytest.raises(CommandError) as err:
        run_in(net["h1"], ["tc", "qdisc", "add", "dev", "nosuchdev", "root", "htb"])
    assert "tc qdisc add dev nosuchdev" in str(err.value)
    assert err.value.returncode != 0 and err.value.stderr.strip()


def test_a_failed_bring_up_tears_down(tmp_path, clean_machine):
    topo = two_hosts({"delay": "5ms"})
    topo.nodeInfo("h2")["routes"] = [("10.9.0.0/24", "192.0.2.1")]  # unreachable gateway
    net = Network(topo, tmp_path)
    # Its caller's own teardown stops it again: the bring-up's error is the one raised.
    with pytest.raises(CommandError, match="ip route replace"):
        try:
            net.start()
        finally:
            net.stop()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_mid_run_tears_down(tmp_path, clean_machine, applab, sig):
    run = applab("linktest", "--bw", "10", "--delay", "50ms", "--out", str(tmp_path))
    wait_for_process("iperf3 -c")  # well into the measurement
    run.send_signal(sig)
    _, err = run.communicate(timeout=TEARDOWN_TIMEOUT_S)
    assert run.returncode == 130, err
    assert "interrupted" in err
    assert leftovers() == []


def test_applab_clean_removes_what_a_crashed_run_left(tmp_path, clean_machine, applab,
                                                      bridge_netfilter_on):
    before = root_namespace_snapshot()
    run = applab("linktest", "--bw", "10", "--delay", "50ms", "--out", str(tmp_path))
    wait_for_process("iperf3 -c")
    run.kill()  # no teardown at all
    run.communicate()
    assert leftovers(), "a killed run should have left its shells and relays"
    # The run changed settings of its own network namespace, not the machine's.
    assert bridge_netfilter_on.read_text().strip() == "1"
    cleaned = subprocess.run([sys.executable, "-m", "orchestrator.cli", "clean"],
                             capture_output=True, text=True, timeout=60, check=False)
    assert cleaned.returncode == 0, cleaned.stderr
    assert "removed" in cleaned.stdout
    psutil.wait_procs(stray_processes(), timeout=5)
    assert leftovers() == [] and all_states() == []
    assert root_namespace_snapshot() == before
    assert not any("iperf3" in " ".join(p.info["cmdline"] or [])
                   for p in psutil.process_iter(["cmdline"]) if p.pid != os.getpid())
