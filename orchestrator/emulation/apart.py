"""Runs that keep apart: each run's switches, their ports and its relays'
TAPs live in a network namespace of the run's own, so any number of runs
share the machine without a name in common, and the machine's own
namespace never sees them.

A run enters it first thing, while it is one thread (namespaces are a
thread's): a new network namespace with its loopback up, and a mount
namespace whose /sys shows that network's interfaces. Its hosts are made
from there as always. A run that needs the machine's namespace (Open
vSwitch, whose daemon lives there; an OpenFlow controller its switches
reach; workers reached over the machine's network; container hosts, whose
engine lives there) takes the machine lock
instead, and such runs follow one another.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import tempfile
import threading
from collections.abc import Iterator

from orchestrator.emulation import shared, state
from orchestrator.emulation.commands import run_root
from orchestrator.errors import AppLabError

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 0x1000, 0x2000, 0x4000, 0x40000
CGROUPS = b"/sys/fs/cgroup"
# Held by a run in the machine's namespace for its whole length.
MACHINE_LOCK = state.STATE_ROOT / "machine.lock"
OWN, MACHINE = "own", "machine"
FIRST_BRIDGE = "applab-first"
# Where this process's runs are: its manifest says so.
current = MACHINE
# Set by the applab command's entry point, whose process exists for its one
# run: only such a process may leave the machine's namespace for good.
process_may_move = False


class ApartError(AppLabError):
    """A run could not get a namespace of its own."""


def needs_machine_namespace(switch: str, controlled: bool, machines: bool,
                            containers: bool = False) -> str | None:
    """Why a run must use the machine's network namespace, or None."""
    if switch != "lxbr":
        return "Open vSwitch's daemon serves the machine's namespace"
    if controlled:
        return "its switches reach the OpenFlow controller there"
    if machines:
        return "its workers are reached over the machine's network"
    if containers:
        return "the Docker engine it starts, and its image builds, work there"
    return None


def _libc_call(name: str, *args) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if getattr(libc, name)(*args) != 0:
        code = ctypes.get_errno()
        raise ApartError(f"{name} failed: {os.strerror(code)} ({errno.errorcode.get(code)})")


def enter_own_namespace() -> None:
    """Move this process into a new network namespace (and a mount
    namespace for its /sys), before it starts any thread."""
    if threading.active_count() != 1:
        raise ApartError("a run enters its own namespace before it starts threads")
    # Mininet's raised limits (TCP buffers, ARP and route tables) are the
    # machine's, which new namespaces copy: set once here, not from inside.
    # Imported here: commands that run nothing (report, schema) need no Mininet.
    from mininet.net import Mininet

    Mininet.init()
    shared.machine_namespace = os.open("/proc/self/ns/net", os.O_RDONLY)
    _libc_call("unshare", CLONE_NEWNET | CLONE_NEWNS)
    # Mounts made from here (Mininet's, the sandboxes') stay in this run.
    _libc_call("mount", b"none", b"/", None, MS_REC | MS_PRIVATE, None)
    # A sysfs of this namespace, with the machine's cgroups kept below it
    # (the sandboxes' limits): set aside, then moved back in place.
    if not os.path.ismount(CGROUPS):    # a machine without cgroups mounted
        _libc_call("mount", b"sysfs", b"/sys", b"sysfs", 0, None)
    else:
        aside = tempfile.mkdtemp(prefix="applab-cgroup-")
        try:
            _libc_call("mount", CGROUPS, aside.encode(), None, MS_BIND | MS_REC, None)
            _libc_call("mount", b"sysfs", b"/sys", b"sysfs", 0, None)
            _libc_call("mount", aside.encode(), CGROUPS, None, MS_MOVE, None)
        finally:
            os.rmdir(aside)
    run_root(["ip", "link", "set", "lo", "up"])
    # The first bridge made in a new namespace lost the first frame sent
    # across it (an ARP request: the first connection of a run waited a
    # second for its retry); with one made and deleted first, none is lost.
    run_root(["ip", "link", "add", FIRST_BRIDGE, "type", "bridge"])
    run_root(["ip", "link", "del", FIRST_BRIDGE])


def machine_lock(reason: str, say=print):
    """The machine's namespace for this run alone; another such run waits."""
    return state.flocked(MACHINE_LOCK, on_wait=lambda: say(
        f"  waiting for the machine's namespace, which another run or scenario holds "
        f"({reason})"))


@contextlib.contextmanager
def kept_apart(switch: str = "lxbr", controlled: bool = False, machines: bool = False,
               containers: bool = False, say=print) -> Iterator[str]:
    """For a run's length: its own namespace where it can have one, the
    machine's (locked) where it cannot. Yields which: OWN or MACHINE."""
    global current
    reason = needs_machine_namespace(switch, controlled, machines, containers)
    if reason is None and not process_may_move:
        reason = "it runs inside another program (a test runner), which stays where it is"
    if reason is None:
        enter_own_namespace()
        current = OWN
        yield OWN
        return
    with machine_lock(reason, say):
        yield MACHINE
