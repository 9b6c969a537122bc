"""The access-link experiment, shortened, and its lifecycle under Ctrl-C and --hold."""
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from orchestrator.emulation.hold import HELD
from orchestrator.experiment import spec
from orchestrator.experiment.runner import run_experiment
from tests.integration.orchestrator.experiment.short_runs import (
    SHORT_DURATION_S,
    assert_within_short_run_bounds,
)
from tests.integration.processes import TEARDOWN_TIMEOUT_S, leftovers, wait_for_process
from tests.paths import ACCESS_LINK


# By name through the emulated DNS, or by address; with the origin and the
# cache as containers; on Open vSwitch under the OpenFlow controller: the same
# bounds hold.
@pytest.mark.parametrize("scenario, without_dns", [("c", False), ("c", True),
                                                   ("c-containers", False),
                                                   ("c-openflow", False)],
                         ids=["by-name", "by-address", "containers", "openflow"])
def test_cache_scenario_shortened(tmp_path, clean_machine, scenario, without_dns):
    experiment = spec.load(ACCESS_LINK, duration_s=SHORT_DURATION_S, only=[scenario],
                           without_dns=without_dns)
    run_dir, results = run_experiment(experiment, tmp_path)
    result = results[scenario]
    quantities = assert_within_short_run_bounds(result)
    # The prediction is the corrected model, near the slide's number.
    assert abs(quantities["access_utilisation"].predicted - 0.58) < 0.07
    assert quantities["hit_rate"].measured is not None

    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["realizer"] in ("netem", "relay")
    assert manifest["seed"] == 7 and manifest["environment"]["git_commit"]
    assert "access_link" in manifest["calibration"]
    summary = json.loads((run_dir / "summary.json").read_text())
    names = {c["name"] for c in summary["checks"]}
    assert {f"{scenario}.{name}" for name in ("access_utilisation", "hit_rate",
                                               "mean_delay")} <= names
    assert all({"name", "measured", "predicted", "tolerance", "unit", "ok", "explanation"}
               <= set(c) for c in summary["checks"])
    for artefact in (f"{scenario}/requests.csv", f"{scenario}/utilisation.csv",
                     "utilisation.png", "delay_cdf.png"):
        assert (run_dir / artefact).stat().st_size > 0, artefact
    squid_log = (run_dir / scenario / "hosts" / "cache" / "cache" / "access.log").read_text()
    assert "TCP_MEM_HIT" in squid_log
    origin = "www.someschool.edu" if not without_dns else result.run.addresses["origin"]
    assert f"GET http://{origin}/obj/" in squid_log
    if not without_dns:  # Squid asked the local DNS server for the origin's address
        resolver_log = run_dir / scenario / "hosts" / "local-dns" / "local-dns" / "unbound.log"
        cache_ip = result.run.addresses["cache"]
        assert f"info: {cache_ip} www.someschool.edu. A IN" in resolver_log.read_text()
    assert not list(Path("/dev/shm").glob("applab*")), "Squid left shared memory behind"
    expected = {"origin", "cache"} if scenario == "c-containers" else set()
    assert set(result.run.containers) == expected
    if scenario == "c-openflow":
        # The controller's port counters measured the LAN and the uplink again.
        agreement = next(c for c in result.checks if c.name == "port_stats_agreement")
        assert agreement.ok, agreement
        assert set(result.details["port_stats"]) == {"lan", "uplink"}
        own = json.loads((run_dir / scenario / "summary.json").read_text())
        assert own["controller"] == "l2-learning" and own["datapath"] in ("kernel", "user")
        assert (run_dir / scenario / "utilisation_openflow.csv").stat().st_size > 0


def test_ctrl_c_during_the_workload_leaves_nothing(tmp_path, clean_machine, applab):
    run = applab("run", str(ACCESS_LINK), "--scenario", "c", "--duration", "60",
                 "--out", str(tmp_path))
    wait_for_process("services.web.web_client --origin", timeout=60)
    time.sleep(2)
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=TEARDOWN_TIMEOUT_S)
    assert run.returncode == 130, err
    assert leftovers() == []
    daemons = [p for p in psutil.process_iter(["name", "status"])
               if p.info["name"] in ("nginx", "squid", "named", "unbound")
               and p.info["status"] != "zombie"]
    assert daemons == []
    assert not list(Path("/dev/shm").glob("applab*"))


def test_hold_then_exec_inside_a_host(tmp_path, clean_machine, applab):
    run = applab("run", str(ACCESS_LINK), "--scenario", "b", "--duration", "3",
                 "--out", str(tmp_path), "--hold")
    deadline = time.monotonic() + 90
    while not HELD.exists():
        assert run.poll() is None, run.communicate()
        assert time.monotonic() < deadline, "the run never held"
        time.sleep(0.2)
    held = json.loads(HELD.read_text())
    origin_ip = held["interfaces"]["origin"][0][1]
    fetched = subprocess.run(
        [sys.executable, "-m", "orchestrator.cli", "exec", "client1", "--", "curl", "-s",
         "-o", "/dev/null", "-w", "%{http_code}", f"http://{origin_ip}/obj/probe"],
        capture_output=True, text=True, timeout=30, check=False)
    assert fetched.stdout == "200", fetched.stderr
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=TEARDOWN_TIMEOUT_S + 30)
    assert run.returncode == 0, err  # ending a hold collects results, then exits
    assert "results:" in out and not HELD.exists()
    assert leftovers() == []
