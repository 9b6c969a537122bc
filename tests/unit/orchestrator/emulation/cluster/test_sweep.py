"""A worker's sweep: the run's processes chosen by namespace, shell and
relay (and no one else's), and the files it copied there removed."""
from orchestrator.emulation.cluster import sweep

PLAN = {"netns": [7001], "shells": [200, 201], "bridges": [], "files": []}
PROCESSES = {
    100: ("iperf3 -s", 7001),                                  # in a host of the run
    200: ("bash --norc -is mininet:h1", 4000),                 # the run's shell
    201: ("vim notes.txt", 4000),                              # a shell's pid, reused
    300: ("python3 -m orchestrator.emulation.links.relay --seed 1 "
          "/proc/200/ns/net:h1-eth0 /proc/555/ns/net:s1-eth1", 4000),
    301: ("python3 -m orchestrator.emulation.links.relay --seed 2 "
          "/proc/900/ns/net:h1-eth0 /proc/901/ns/net:s1-eth1", 4000),   # another run's
    400: ("sshd: root", 4000),
}


def test_the_runs_processes_are_chosen_and_no_one_elses(monkeypatch):
    monkeypatch.setattr(sweep, "processes", lambda: dict(PROCESSES))
    assert sorted(sweep.of_the_run(PLAN)) == [100, 200, 300]


def test_a_sweep_kills_them_and_removes_the_files_it_copied(monkeypatch, tmp_path):
    alive = dict(PROCESSES)
    killed = []

    def kill(pid, _signal):
        killed.append(pid)
        alive.pop(pid)

    monkeypatch.setattr(sweep, "processes", lambda: dict(alive))
    monkeypatch.setattr(sweep.os, "kill", kill)
    copied = tmp_path / "runs" / "r1" / "h1"
    copied.mkdir(parents=True)
    (copied / "neighbours.batch").write_text("x")
    kept = tmp_path / "keep.txt"
    kept.write_text("not the run's")
    found = sweep.sweep({**PLAN, "files": [str(copied)]})
    assert sorted(killed) == [100, 200, 300]
    assert found["left"] == [] and str(copied) in found["deleted"]
    assert not (tmp_path / "runs").exists()     # the folders made to hold it go too
    assert kept.exists()
