"""Node classes: hosts, routers and switches whose commands are all logged."""
from __future__ import annotations

import contextlib
import os
import pwd
import shlex
import signal
import subprocess
import sys
from pathlib import Path

from mininet.node import Host, OVSSwitch
from mininet.nodelib import LinuxBridge

from orchestrator.emulation.commands import log_shell, run_in, run_root
from orchestrator.emulation.waiting import wait_until


class LoggedShell:
    """Mixin: every command sent to the node's shell goes to the command log.
    Also what runs in the root namespace of the machine the node is on
    (this one; a worker's for a node of the cluster edition)."""

    # The machine's Python with applab, for applab's own programs there.
    python = sys.executable

    def sendCmd(self, *args, **kwargs):
        log_shell(self.name, " ".join(str(a) for a in args))
        return super().sendCmd(*args, **kwargs)

    def machine_popen(self, argv: list[str], **kwargs):
        """Start ``argv`` in the root namespace of this node's machine."""
        log_shell("root", shlex.join(str(a) for a in argv) + " &")
        return subprocess.Popen([str(a) for a in argv], **kwargs)

    def read_machine_file(self, path: str) -> str:
        """A file of this node's machine (its /proc, say)."""
        return Path(path).read_text()

    def push(self, path: Path) -> None:
        """Make ``path`` (a directory here) what this node's programs see:
        they run on this machine, so they already do (a worker's differ)."""

    def pull(self, path: Path) -> None:
        """Bring back what this node's programs wrote in ``path``: here already."""


class AppHost(LoggedShell, Host):
    """A host; with ``forwarding`` and ``routes`` it is a router. Every process
    started in it with ``popen`` is reported to ``on_process`` and killed when
    the host terminates, so none outlives the emulation."""

    def __init__(self, name, on_process=None, **params):
        self.processes = []
        self.on_process = on_process
        super().__init__(name, **params)
        # The emulation is IPv4 unicast. Before its interfaces exist, so none
        # sends IPv6's own frames (address checks, router solicitations) or
        # IGMP reports: across a lossy or slow link they would count among its
        # drops, or take its time.
        # -e: a kernel without IPv6 has no such keys, and nothing to quiet.
        run_in(self, ["sysctl", "-q", "-e", "-w", "net.ipv6.conf.all.disable_ipv6=1",
                      "net.ipv6.conf.default.disable_ipv6=1",
                      "net.ipv4.igmp_link_local_mcast_reports=0"])

    def popen(self, *args, **kwargs):
        proc = super().popen(*args, **kwargs)
        argv = args[0] if len(args) == 1 and isinstance(args[0], list) else list(args)
        self.processes.append(proc)
        if self.on_process:
            self.on_process(proc, argv)
        return proc

    def use_resolv_conf(self, path: Path) -> None:
        """``path`` as this host's /etc/resolv.conf: bind-mounted in its own
        mount namespace (mnexec made it private), so the machine's is untouched."""
        run_in(self, ["mount", "--bind", str(path), "/etc/resolv.conf"])

    def user_id(self, user: str) -> int:
        """``user``'s id where this host's programs run: this machine's."""
        return pwd.getpwnam(user).pw_uid

    def program_popen(self, argv: list[str], **kwargs):
        """Start a service's or workload's program: on a host with this
        machine's files, as any command (a container host differs)."""
        return self.popen(argv, **kwargs)

    # The files a sandboxed program sees, read-only: this machine's.
    sandbox_root = "/"

    def resource_ceiling(self) -> tuple[int | None, float | None]:
        """The memory (bytes) and CPUs its programs may use at most: no
        bound of its own (a container host has its container's)."""
        return None, None

    def terminate(self):
        for proc in self.processes:
            if proc.poll() is None:
                # mnexec -d gave it a session of its own: take its children too
                # (nginx's workers, say).
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        super().terminate()

    def config(self, forwarding=False, routes=(), tx_offload=True, **params):
        result = super().config(**params)
        if forwarding:
            run_in(self, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])
        for network, via in routes:
            run_in(self, ["ip", "route", "replace", network, "via", via])
        if not tx_offload:
            # OVS's userspace datapath drops TCP whose checksum was left to offload.
            for intf in self.intfList():
                if intf.name != "lo":
                    run_in(self, ["ethtool", "-K", intf.name, "tx", "off"])
        return result


class AppBridge(LoggedShell, LinuxBridge):
    """Linux bridge (the default switch)."""


class AppOVSSwitch(LoggedShell, OVSSwitch):
    """Open vSwitch as a learning switch (no controller needed)."""

    def __init__(self, name, **params):
        params.setdefault("failMode", "standalone")
        super().__init__(name, **params)


OVS_START_TIMEOUT_S = 10.0


def ovs_running() -> bool:
    result = run_root(["ovs-vsctl", "--timeout=2", "show"], check=False)
    return result.returncode == 0


def ovs_datapath(kind: str) -> str:
    """The datapath a switch kind runs on: 'ovs' takes the kernel's where its
    module loads (a user's VM) and the userspace one otherwise (this build
    machine has no module); 'ovs-user' always the userspace one."""
    if kind == "ovs" and run_root(["modprobe", "openvswitch"], check=False).returncode == 0:
        return "kernel"
    return "user"


def ensure_ovs() -> None:
    """Start ovsdb-server and ovs-vswitchd if they are not running (there is no
    systemd on the build machines)."""
    if ovs_running():
        return
    run_root(["/usr/share/openvswitch/scripts/ovs-ctl", "--no-ovs-vswitchd",
              "--no-monitor", "--system-id=random", "start"])
    run_root(["ovs-vswitchd", "--pidfile", "--detach", "--no-chdir",
              "--log-file=/var/log/openvswitch/ovs-vswitchd.log"])
    wait_until(ovs_running, OVS_START_TIMEOUT_S, "ovs-vswitchd answering", poll_s=0.1)

