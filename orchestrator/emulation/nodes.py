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

from orchestrator.emulation.commands import (
    execute,
    fits_shell_line,
    host_config_lines,
    ip_batch_failure,
    ip_batch_line,
    log_shell,
    route_lines,
    run_in,
    run_root,
    sysctl_line,
)
from orchestrator.emulation.waiting import wait_until
from orchestrator.errors import CommandError


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


# The emulation is IPv4 unicast. Set before a host's interfaces exist, so none
# sends IPv6's own frames (address checks, router solicitations) or IGMP
# reports: across a lossy or slow link they would count among its drops, or
# take its time. A kernel without IPv6 has no such keys, and nothing to quiet.
QUIET_SETTINGS = {"net.ipv6.conf.all.disable_ipv6": "1",
                  "net.ipv6.conf.default.disable_ipv6": "1",
                  "net.ipv4.igmp_link_local_mcast_reports": "0"}


class AppHost(LoggedShell, Host):
    """A host; with ``forwarding`` and ``routes`` it is a router. Every process
    started in it with ``popen`` is reported to ``on_process`` and killed when
    the host terminates, so none outlives the emulation."""

    def __init__(self, name, on_process=None, **params):
        self.processes = []
        self.on_process = on_process
        super().__init__(name, **params)
        self.set_sysctls(QUIET_SETTINGS)

    def set_sysctls(self, settings: dict[str, str]) -> None:
        """Write ``settings`` in this host's network namespace with its
        shell's builtins: no process per host, which a thousand hosts would
        feel (``sysctl_line``). Any failure is raised."""
        command = sysctl_line(settings)
        self._silent_shell_command(command, lambda _out: command)

    def _silent_shell_command(self, command: str, failed_command) -> None:
        """Run ``command``, which prints nothing when it succeeds, in this
        host's shell; if it prints, raise with ``failed_command(output)``
        naming what failed."""
        out = self.cmd(command)
        if out.strip():
            raise CommandError(self.name, failed_command(out), 1, out)

    def popen(self, *args, **kwargs):
        proc = super().popen(*args, **kwargs)
        argv = args[0] if len(args) == 1 and isinstance(args[0], list) else list(args)
        self.processes.append(proc)
        if self.on_process:
            self.on_process(proc, argv)
        return proc

    def interfaces_go_with_it(self) -> bool:
        """Do its interfaces (a veth pair's both ends) go when its shell and
        processes end? The kernel then removes its namespace's devices in one
        batch, where an ``ip link del`` each waits for the network's readers
        one by one. So for a host of its own namespace on this machine."""
        return self.inNamespace and not getattr(self, "isRemote", False)

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

    def config(self, mac=None, ip=None, defaultRoute=None, lo="up", forwarding=False,
               routes=(), tx_offload=True, **_params):
        """What Mininet's Node.config sets (the default interface's MAC and
        address, the default route, the loopback), and a router's forwarding
        and routes, in one ``ip -batch`` in the host's shell: one process
        where Mininet's ifconfig calls make six, which a thousand hosts feel."""
        intf = self.defaultIntf()
        if intf is not None:
            intf.mac = mac or intf.mac
            if ip:
                address, _, prefix = str(ip).partition("/")
                intf.ip, intf.prefixLen = address, prefix or "8"   # Mininet's default
        lines = host_config_lines(
            intf.name if intf is not None else None, mac,
            f"{intf.ip}/{intf.prefixLen}" if intf is not None and ip else None,
            str(defaultRoute) if defaultRoute else None, lo)
        self.ip_batch(lines + route_lines(routes))
        if forwarding:
            self.set_sysctls({"net.ipv4.ip_forward": "1"})
        if not tx_offload:
            # OVS's userspace datapath drops TCP whose checksum was left to offload.
            for intf in self.intfList():
                if intf.name != "lo":
                    run_in(self, ["ethtool", "-K", intf.name, "tx", "off"])
        return {}

    def ip_batch(self, lines: list[str]) -> None:
        """``ip`` commands (without ``ip``) in one process: sent to the host's
        shell when they fit on its line, which starts nothing more; else on
        ``ip``'s stdin (a core router's routes, a LAN's neighbours)."""
        command = ip_batch_line(lines)
        if fits_shell_line(command):
            self._silent_shell_command(command, lambda out: ip_batch_failure(lines, out))
            return
        code, out, err = execute(self, ["ip", "-batch", "-"],
                                 input_text="".join(f"{line}\n" for line in lines))
        if code != 0:
            raise CommandError(self.name, ip_batch_failure(lines, err), code, err or out)


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

