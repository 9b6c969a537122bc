"""Runs at once on one machine: each in a network namespace of its own,
each measuring its own links and passing its own checks, and `applab
clean` during them leaving them be."""
import json
import subprocess
import sys
from pathlib import Path

from orchestrator.emulation import state
from orchestrator.emulation.waiting import wait_until
from tests.fidelity import rtt_tolerance

EXPERIMENTS = Path(__file__).resolve().parents[4] / "experiments"
# A linktest's bring-up, from its start until its run is recorded.
RECORDED_WITHIN_S = 30
RUN_TIMEOUT_S = 600
# A shaped TCP flow's goodput over its configured rate (headers, slow start).
GOODPUT_SHARE = (0.85, 1.0)


def applab(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "orchestrator.cli", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def live_runs() -> list[state.RunState]:
    return [run for run in state.all_states() if run.owner_alive]


def test_two_linktests_at_once_measure_their_own_links_and_clean_leaves_them(
        tmp_path, clean_machine):
    links = {"fast": ("10", "20ms"), "slow": ("4", "35ms")}
    runs = {name: applab("linktest", "--bw", bw, "--delay", delay, "--json",
                         "--out", str(tmp_path / name)) for name, (bw, delay) in links.items()}
    wait_until(lambda: len(live_runs()) == 2, RECORDED_WITHIN_S, "both linktests recorded")
    # No name of theirs is in the machine's namespace.
    assert not [n for n in state.root_links() if n.startswith("s1")]
    cleaned = subprocess.run([sys.executable, "-m", "orchestrator.cli", "clean"],
                             capture_output=True, text=True, timeout=120, check=True)
    assert cleaned.stdout.count("left alone: the run of") == 2, cleaned.stdout
    for name, run in runs.items():
        out, err = run.communicate(timeout=RUN_TIMEOUT_S)
        assert run.returncode == 0, err
        report = json.loads(out)
        bw, delay = float(links[name][0]), float(links[name][1].removesuffix("ms"))
        rtt = 2 * delay
        assert abs(report["rtt_ms"]["median"] - rtt) <= rtt_tolerance(rtt), \
            (name, report["rtt_ms"])
        low, high = GOODPUT_SHARE
        assert low * bw <= report["goodput_mbps"]["measured"] <= high * bw, (name, report)
        (run_dir,) = (tmp_path / name).iterdir()
        manifest = json.loads((run_dir / "manifest.json").read_text())
        assert manifest["environment"]["network_namespace"] == "own"


def test_an_access_link_run_beside_a_dns_run_both_pass_strict(tmp_path, clean_machine):
    runs = {
        "access-link": applab("run", str(EXPERIMENTS / "access-link.yaml"), "--scenario", "c",
                              "--duration", "20", "--strict", "--out", str(tmp_path)),
        "dns": applab("run", str(EXPERIMENTS / "dns.yaml"), "--scenario", "iterated",
                      "--strict", "--out", str(tmp_path)),
    }
    for name, run in runs.items():
        out, err = run.communicate(timeout=RUN_TIMEOUT_S)
        assert run.returncode == 0, (name, out[-2000:], err[-2000:])
        assert "checks not ok" not in out, (name, out[-2000:])


# Linux asks again for an unanswered ARP request after a second
# (retrans_time_ms): a first ping that long lost its first frame.
ARP_RETRY_MS = 1000
FIRST_PING = """
import sys, tempfile
from pathlib import Path
from orchestrator.emulation import apart
from orchestrator.emulation.linktest import ping_rtts
from orchestrator.emulation.network import Network
from topologies.builders import star_lan
apart.process_may_move = True
with apart.kept_apart() as where, tempfile.TemporaryDirectory() as run_dir:
    assert where == apart.OWN
    with Network(star_lan(2), Path(run_dir)) as net:
        first, second = net.net.hosts
        print(ping_rtts(first, second.IP(), 1, 0.2)[0])
"""


def test_the_first_frame_across_a_runs_first_bridge_arrives(clean_machine):
    ran = subprocess.run([sys.executable, "-c", FIRST_PING], capture_output=True, text=True,
                         timeout=RUN_TIMEOUT_S, cwd=EXPERIMENTS.parent)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert float(ran.stdout.split()[-1]) < ARP_RETRY_MS
