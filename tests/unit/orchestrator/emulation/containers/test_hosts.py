"""Container hosts' cgroups, found on cgroup v1 and v2 mounts, and their
limits checked in the files the kernel keeps."""
from pathlib import Path

from orchestrator.emulation.containers.hosts import (
    ContainerSpec,
    cgroup_files,
    unapplied_limits,
)

V1_MOUNTS = """\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
"""
V1_PROCESS = "4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n0::/\n"
V2_MOUNTS = "29 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
V2_PROCESS = "0::/system.slice/docker-abc.scope\n"


def test_cgroup_v1_hierarchies_each_have_their_file():
    files = cgroup_files(V1_PROCESS, V1_MOUNTS)
    assert Path("/sys/fs/cgroup/cpu,cpuacct/docker/abc/cgroup.procs") in files
    assert Path("/sys/fs/cgroup/memory/docker/abc/cgroup.procs") in files
    assert Path("/sys/fs/cgroup/systemd/docker/abc/cgroup.procs") in files
    assert Path("/sys/fs/cgroup/unified/cgroup.procs") in files


def test_cgroup_v2_has_one():
    assert cgroup_files(V2_PROCESS, V2_MOUNTS) == [
        Path("/sys/fs/cgroup/system.slice/docker-abc.scope/cgroup.procs")]


def test_a_mount_of_a_subtree_is_followed():
    mounts = "50 1 0:40 /docker /mnt/cpu rw - cgroup cgroup rw,cpu\n"
    assert cgroup_files("3:cpu:/docker/abc\n", mounts) == [Path("/mnt/cpu/abc/cgroup.procs")]


def test_limits_are_found_in_v1_and_v2_files(tmp_path):
    v1 = tmp_path / "v1"
    v1.mkdir()
    (v1 / "cpu.cfs_quota_us").write_text("20000\n")
    (v1 / "memory.limit_in_bytes").write_text(str(64 * 2 ** 20))
    limited = ContainerSpec("base", cpus=0.2, memory="64m")
    assert unapplied_limits(limited, [v1]) == []
    v2 = tmp_path / "v2"
    v2.mkdir()
    (v2 / "cpu.max").write_text("20000 100000\n")
    (v2 / "memory.max").write_text("67108864\n")
    assert unapplied_limits(limited, [v2]) == []


def test_a_limit_the_kernel_does_not_hold_is_named(tmp_path):
    (tmp_path / "cpu.max").write_text("max 100000\n")
    (tmp_path / "memory.limit_in_bytes").write_text(str(2 ** 63 - 4096))
    missing = unapplied_limits(ContainerSpec("base", cpus=0.5, memory="64m"), [tmp_path])
    assert missing == ["its CPU limit (0.5)", "its memory limit (64m)"]
    assert unapplied_limits(ContainerSpec("base"), [tmp_path]) == []
