"""The sandbox's pure parts: where each controller's cgroups are, the files
that hold a program's limits, which limit stopped it, and the command."""
from pathlib import Path

from orchestrator.emulation.sandbox import (
    Hierarchy,
    bwrap_argv,
    hidden_order,
    hierarchies,
    hit_by_counters,
    limit_files,
    within,
)
from services.base import SandboxLimits

# This machine's kind of mountinfo: v1 controllers, and an empty v2 hierarchy.
HYBRID = """\
30 25 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755
31 30 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
32 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
33 30 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
34 30 0:30 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids
"""
UNIFIED = "30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n"


def test_v1_controllers_are_found_in_their_own_hierarchies():
    found = hierarchies(HYBRID, v2_controllers=set())
    assert found == {"cpu": Hierarchy("cpu", Path("/sys/fs/cgroup/cpu,cpuacct"), 1),
                     "memory": Hierarchy("memory", Path("/sys/fs/cgroup/memory"), 1),
                     "pids": Hierarchy("pids", Path("/sys/fs/cgroup/pids"), 1)}


def test_v2_offers_what_its_root_lists():
    found = hierarchies(UNIFIED, v2_controllers={"cpu", "memory", "pids", "io"})
    assert {h.version for h in found.values()} == {2}
    assert hierarchies(UNIFIED, v2_controllers={"memory"}).keys() == {"memory"}


def test_limits_become_v1_and_v2_files():
    limits = SandboxLimits(memory_mb=256, tasks=64, cpus=0.5)
    v1, v2 = limit_files(limits, 1), limit_files(limits, 2)
    assert v1["memory"]["memory.limit_in_bytes"] == str(256 * 2 ** 20)
    assert v1["cpu"] == {"cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "50000"}
    assert v1["pids"] == v2["pids"] == {"pids.max": "64"}
    assert v2["cpu"] == {"cpu.max": "50000 100000"}
    assert v2["memory"]["memory.max"] == str(256 * 2 ** 20)


def test_which_limit_stopped_it_comes_from_the_event_counters():
    v1_oom = "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n"
    assert hit_by_counters(v1_oom, "max 0\n") == ["memory"]
    assert hit_by_counters("low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n", "max 12\n") == ["tasks"]
    assert hit_by_counters("oom_kill 0\n", "max 0\n") == []
    assert hit_by_counters("", "") == []   # an older kernel without the counters


def test_hidden_directories_outermost_first_and_only_those_that_exist(tmp_path):
    (tmp_path / "results" / "run").mkdir(parents=True)
    (tmp_path / "checkout").mkdir()
    paths = [Path("/results/run"), Path("/checkout"), Path("/results"), Path("/missing")]
    assert hidden_order(paths, tmp_path) == [
        Path("/checkout"), Path("/results")]


def test_the_command_drops_to_the_user_with_only_the_granted_capabilities():
    home = Path("/results/run/hosts/h1/student")
    argv = bwrap_argv(["python3", "ping.py"], root="/", workdir=Path("/run/applab/x/w"),
                      home=home, hidden=[Path("/results"), Path("/tmp")], uid=990, gid=990,
                      limits=SandboxLimits(capabilities=("net_raw",)))
    assert argv[:4] == ["bwrap", "--ro-bind", "/", "/"]
    assert "--unshare-net" not in argv and "--unshare-pid" in argv
    # Its home's parents exist, empty, inside the hidden results; its home is the tmpfs.
    assert argv.index("/results/run/hosts/h1") < argv.index("--bind")
    assert argv[argv.index("--bind"):argv.index("--bind") + 3] == [
        "--bind", "/run/applab/x/w", str(home)]
    # /tmp is its to write, within its disk limit.
    tmp = argv.index("/tmp")
    assert argv[tmp - 3:tmp] == ["--size", str(64 * 2 ** 20), "--tmpfs"]
    setpriv = argv[argv.index("setpriv"):]
    assert "--reuid=990" in setpriv and "--clear-groups" in setpriv
    assert "--bounding-set=-all,+net_raw" in setpriv and "--ambient-caps=+net_raw" in setpriv
    assert setpriv[-3:] == ["--", "python3", "ping.py"]


def test_no_capability_unless_granted():
    argv = bwrap_argv(["true"], root="/", workdir=Path("/w"), home=Path("/h"), hidden=[],
                      uid=1, gid=1, limits=SandboxLimits())
    assert "--bounding-set=-all" in argv and "--inh-caps=-all" in argv
    assert not any(a.startswith("--ambient-caps") for a in argv)


def test_a_spec_s_sandbox_settings_are_checked_by_field():
    assert SandboxLimits.problems({"memory_mb": 128, "cpus": 0.5,
                                   "capabilities": ["net_raw"]}) == []
    problems = dict(SandboxLimits.problems({"memory_mb": "lots", "tasks": 0, "cpus": True,
                                            "capabilities": ["net_raw", "root"],
                                            "swap": 1}))
    assert set(problems) == {("memory_mb",), ("tasks",), ("cpus",), ("capabilities", 1),
                             ("swap",)}
    assert "root" in problems[("capabilities", 1)]
    assert SandboxLimits.problems(["net_raw"]) == [((), "a mapping of memory_mb, tasks, cpus, "
                                                        "disk_mb, capabilities")]


def test_a_container_host_s_own_limits_bound_its_sandboxes():
    limits = SandboxLimits(memory_mb=256, cpus=1.0)
    assert within(limits, None, None) == limits
    assert within(limits, 64 * 2 ** 20, 0.2) == SandboxLimits(memory_mb=64, cpus=0.2)
    assert within(limits, 2 * 2 ** 30, 4.0) == limits
