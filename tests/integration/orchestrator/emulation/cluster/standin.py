"""A second machine made on this one, for the tests of runs over several
machines (CI has one machine). It is a network namespace running its own
sshd, in a PID namespace of its own, with its own /tmp, /run and /dev/shm:
from it, none of this machine's processes, run folders or state are seen,
only the system and the applab checkout, as on a worker installed alike. It
reaches this machine over a veth pair whose MTU (1550) carries VXLAN's
full-size frames, as a lab's network with jumbo frames would."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from orchestrator.emulation.cluster.machines import Machine
from orchestrator.emulation.cluster.version import REPO_ROOT
from orchestrator.emulation.waiting import wait_until

STANDIN_ROOT = Path("/var/lib/applab-standin")
UNDERLAY_MTU = 1550
SSHD_START_TIMEOUT_S = 10.0

SSHD_CONFIG = """\
ListenAddress {address}
HostKey {home}/host_key
PermitRootLogin prohibit-password
AuthorizedKeysFile {home}/key.pub
PidFile none
UsePAM no
UseDNS no
StrictModes no
"""
# Inside the machine's own namespaces: private /tmp, /run and /dev/shm, then
# sshd. The applab checkout stays where it is (a CI clone may be under /tmp):
# held aside, then bound back over the new /tmp.
BOOT = ("mkdir -p {home}/checkout && mount --bind {repo} {home}/checkout && "
        "mount -t tmpfs none /tmp && mount -t tmpfs none /run && mkdir -p /run/sshd && "
        "mount -t tmpfs none /dev/shm && mkdir -p {repo} && "
        "mount --bind {home}/checkout {repo} && "
        "exec /usr/sbin/sshd -D -e -f {home}/sshd_config")


class StandIn:
    """Machine ``name``: 172.31.255.(4·index+2), this machine .(4·index+1)."""

    def __init__(self, name: str, index: int):
        self.name = name
        self.netns = f"applab-{name}"
        self.home = STANDIN_ROOT / name
        self.here = f"172.31.255.{4 * index + 1}"
        self.address = f"172.31.255.{4 * index + 2}"
        self.veth = f"applab-{name}"
        self.sshd: subprocess.Popen | None = None

    @property
    def machine(self) -> Machine:
        return Machine(self.name, self.address, key=self.home / "key",
                       known_hosts=self.home / "known_hosts", applab=str(REPO_ROOT))

    def start(self) -> StandIn:
        self.stop()     # what an interrupted test left of it
        self.home.mkdir(parents=True)
        for key in ("key", "host_key"):
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.home / key)])
        host_key = (self.home / "host_key.pub").read_text().split()
        (self.home / "known_hosts").write_text(f"{self.address} {host_key[0]} {host_key[1]}\n")
        (self.home / "sshd_config").write_text(SSHD_CONFIG.format(address=self.address,
                                                                  home=self.home))
        run(["ip", "netns", "add", self.netns])
        run(["ip", "link", "add", self.veth, "mtu", str(UNDERLAY_MTU), "type", "veth",
             "peer", "name", "eth0", "mtu", str(UNDERLAY_MTU), "netns", self.netns])
        # IPv4 only: no IPv6 routes appearing later in this machine's tables.
        run(["sysctl", "-q", "-w", f"net.ipv6.conf.{self.veth}.disable_ipv6=1"])
        run(["ip", "addr", "add", f"{self.here}/30", "dev", self.veth])
        run(["ip", "link", "set", self.veth, "up"])
        inside = ["ip", "-n", self.netns]
        run([*inside, "addr", "add", f"{self.address}/30", "dev", "eth0"])
        run([*inside, "link", "set", "eth0", "up"])
        run([*inside, "link", "set", "lo", "up"])
        self.sshd = subprocess.Popen(
            ["ip", "netns", "exec", self.netns, "unshare", "--pid", "--fork", "--kill-child",
             "--mount-proc", "--propagation", "private", "sh", "-c",
             BOOT.format(home=self.home, repo=REPO_ROOT)],
            stdout=subprocess.DEVNULL, stderr=open(self.home / "sshd.log", "w"))
        wait_until(self.listening, SSHD_START_TIMEOUT_S, f"stand-in {self.name}'s sshd",
                   gave_up=lambda: None if self.sshd.poll() is None
                   else (self.home / "sshd.log").read_text()[-400:], poll_s=0.05)
        return self

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def listening(self) -> bool:
        out = run(["ip", "netns", "exec", self.netns, "ss", "-Hltn", "sport = :22"]).stdout
        return bool(out.strip())

    def ssh(self, command: str) -> str:
        return run(["ssh", "-i", str(self.home / "key"), "-o",
                    f"UserKnownHostsFile={self.home / 'known_hosts'}", "-o",
                    "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                    f"root@{self.address}", command]).stdout

    def processes(self) -> list[str]:
        """Every process on the machine but its sshd and this look."""
        lines = self.ssh("ps -e -o pid=,args=").splitlines()
        return [line.strip() for line in lines
                if "sshd" not in line and "ps -e -o" not in line and "bash -c" not in line]

    def files(self) -> list[str]:
        """What is in the machine's own /tmp, /run and /dev/shm, but sshd's
        and the applab checkout's."""
        out = self.ssh("find /tmp /run /dev/shm -mindepth 1 -maxdepth 1")
        own = {"/run/sshd", "/run/mount", *map(str, [REPO_ROOT, *REPO_ROOT.parents])}
        return sorted(p for p in out.split() if p not in own)

    def interfaces(self) -> list[str]:
        out = run(["ip", "-n", self.netns, "-o", "link", "show"]).stdout
        return [line.split(":")[1].strip().split("@")[0] for line in out.splitlines()]

    def stop(self) -> None:
        if self.sshd is not None:
            # unshare --kill-child: its PID namespace's first process, and with
            # it every process there, goes too.
            self.sshd.kill()
            self.sshd.wait()
        else:   # one a killed test left
            run(["pkill", "-f", f"sshd -D -e -f {self.home}/"], check=False)
        run(["ip", "netns", "del", self.netns], check=False)
        run(["ip", "link", "del", self.veth], check=False)
        shutil.rmtree(self.home, ignore_errors=True)


def run(argv: list[str], check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, check=check)


def assert_nothing_left_on(worker: StandIn) -> None:
    assert worker.processes() == []
    assert worker.interfaces() == ["lo", "eth0"]
    assert worker.files() == []
