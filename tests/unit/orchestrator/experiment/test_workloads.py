"""When a scenario's workloads are done, and which exits are failures."""
from types import SimpleNamespace

import pytest

from orchestrator.experiment.launch import Launched
from orchestrator.experiment.spec import load
from orchestrator.experiment.supervisor import ServiceFailed
from orchestrator.experiment.workloads import HostRun, WorkloadSet
from tests.paths import ACCESS_LINK


class FakeProc:
    """A process, its pid standing for its process group."""

    by_pid: dict = {}

    def __init__(self, returncode=None):
        self.returncode = returncode
        self.signals = []
        self.pid = 10_000_000 + len(FakeProc.by_pid)
        FakeProc.by_pid[self.pid] = self

    def poll(self):
        return self.returncode

    def send_signal(self, sig):
        self.signals.append(sig)
        self.returncode = -sig

    def wait(self, timeout=None):
        return self.returncode

    def kill(self):
        self.returncode = -9


class FakeCtx:
    def path(self, name):
        raise AssertionError("read only for a failure")


@pytest.fixture
def workloads(monkeypatch):
    # Signals to a process group reach the fake leader (if it still runs).
    def killpg(pid, sig):
        proc = FakeProc.by_pid[pid]
        if proc.returncode is None:
            proc.send_signal(sig)
    monkeypatch.setattr("orchestrator.emulation.waiting.os.killpg", killpg)
    spec = load(ACCESS_LINK, only=["a"]).scenarios["a"]
    return WorkloadSet(spec, net=None, contexts=None, services=None)


def test_a_run_is_done_when_its_finite_workloads_are(workloads):
    workloads.runs = [HostRun("web-client", "client1", FakeCtx(), Launched(FakeProc(0))),
                      HostRun("web-client", "client2", FakeCtx(), Launched(FakeProc()))]
    assert workloads.has_finite and workloads.finite_running()
    workloads.runs[1].proc.returncode = 0
    assert not workloads.finite_running()
    workloads.finish()  # all exited 0


def test_a_workload_that_runs_until_stopped_is_stopped_not_waited_for(workloads, monkeypatch):
    monkeypatch.setattr(workloads.roles["web-client"], "finite", False)
    workloads.runs = [HostRun("web-client", "client1", FakeCtx(), Launched(FakeProc()))]
    assert not workloads.has_finite and not workloads.finite_running()
    workloads.finish()
    assert workloads.runs[0].stopped and workloads.runs[0].proc.signals


def test_a_host_stopped_by_the_timeline_has_not_failed(workloads):
    run = HostRun("web-client", "client1", FakeCtx(), Launched(FakeProc(-15)), stopped=True)
    workloads.runs = [run]
    workloads.finish()


def test_a_finite_workload_still_running_at_the_limit_has_hung(workloads):
    workloads.runs = [HostRun("web-client", "client3", FakeCtx(), Launched(FakeProc()))]
    with pytest.raises(ServiceFailed, match="web-client on client3 still running"):
        workloads.finish()


def test_teardown_kills_what_still_runs_and_leaves_the_rest(workloads):
    running, done = FakeProc(), FakeProc(0)
    workloads.runs = [HostRun("web-client", "client1", FakeCtx(), Launched(running)),
                      HostRun("web-client", "client2", FakeCtx(), Launched(done))]
    workloads.kill_all()
    assert running.signals == [9] and done.signals == []


def test_a_program_s_exit_status_is_a_result_not_a_failure(workloads, monkeypatch):
    from services.programs.program import Program
    monkeypatch.setitem(workloads.roles, "web-client", Program)
    workloads.runs = [HostRun("web-client", "client1", FakeCtx(), Launched(FakeProc(1)))]
    monkeypatch.setattr(Program, "read_rows", classmethod(lambda cls, ctx: []))
    fetched = []
    workloads.contexts = SimpleNamespace(fetch=lambda ctx, node: fetched.append(node))
    workloads.net = {"client1": "the node of client1"}
    workloads.finish()   # a crash is the checker's to judge
    rows = workloads.results()["web-client"].rows
    assert rows == [{"kind": "exit", "client": "client1", "status": 1, "stopped": False,
                     "limits_hit": ""}]
    assert fetched == ["the node of client1"]   # its files, from its machine
