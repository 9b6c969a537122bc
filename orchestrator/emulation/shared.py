"""What runs at once truly share on a machine, held with a lock and a count
of users: settings of the machine's own network namespace (the TCP
congestion control algorithms new namespaces may choose, the neighbour
table's limits). The first user records a setting's value and changes it;
the last one puts it back; `applab clean` puts back one whose users were
all killed."""
from __future__ import annotations

import contextlib
import ctypes
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil

from orchestrator.emulation import state

SHARED_ROOT = state.STATE_ROOT / "shared"
CLONE_NEWNET = 0x40000000
# The machine's network namespace, kept open by a run that left it (apart).
machine_namespace: int | None = None


def in_machine_namespace(action: Callable[[], object]):
    """``action()`` in the machine's network namespace, where its settings
    can be changed: at once if this process is still there, else in a
    thread that enters it (a thread may; its process stays where it is)."""
    if machine_namespace is None:
        return action()
    outcome: dict = {}

    def entered():
        try:
            if ctypes.CDLL(None, use_errno=True).setns(machine_namespace, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns into the machine's namespace")
            outcome["value"] = action()
        except BaseException as exc:   # raised again in the caller
            outcome["error"] = exc

    thread = threading.Thread(target=entered)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class Users:
    """The processes using one shared thing, counted under its lock: a mark
    per process, named by its pid and start time (a reused pid is not one)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def locked(self):
        return state.flocked(self.folder / "lock")

    @property
    def _mark(self) -> Path:
        return self.folder / "users" / f"{os.getpid()}-{psutil.Process().create_time()}"

    def join(self) -> None:
        """Count this process in (with the lock held)."""
        self._mark.parent.mkdir(parents=True, exist_ok=True)
        self._mark.touch()

    def leave(self) -> None:
        """Count this process out (with the lock held)."""
        self._mark.unlink(missing_ok=True)

    def live(self) -> list[Path]:
        """The marks of live users; a dead user's mark is dropped."""
        found = []
        for mark in (self.folder / "users").glob("*"):
            pid, _, started = mark.name.partition("-")
            if str(state.running_since(int(pid))) == started:
                found.append(mark)
            else:
                mark.unlink(missing_ok=True)
        return found


class SharedSetting:
    """A file of the machine (a sysctl) changed while any run uses it."""

    def __init__(self, name: str, path: str):
        self.name, self.path = name, Path(path)
        self.folder = SHARED_ROOT / name
        self.users = Users(self.folder)

    def read(self) -> str:
        return in_machine_namespace(lambda: self.path.read_text().strip())

    def write(self, value: str) -> None:
        in_machine_namespace(lambda: self.path.write_text(value + "\n"))

    @contextlib.contextmanager
    def held(self, change: Callable[[str], str]) -> Iterator[None]:
        """The setting as ``change(its value)`` while this process runs."""
        with self.users.locked():
            original = self.folder / "original"
            if not self.users.live():
                original.write_text(self.read())
            wanted = change(self.read())
            if wanted != self.read():
                self.write(wanted)
            self.users.join()
        try:
            yield
        finally:
            with self.users.locked():
                self.users.leave()
                self.restore_if_unused()

    def restore_if_unused(self) -> list[str]:
        """Put the original value back when no live run uses it (called
        with the lock held, or by `applab clean`)."""
        original = self.folder / "original"
        if self.users.live() or not original.exists():
            return []
        value = original.read_text()
        original.unlink()
        if self.read() != value:
            self.write(value)
            return [f"setting {self.path} = {value}"]
        return []

    def clean(self) -> list[str]:
        with self.users.locked():
            return self.restore_if_unused()


# Outside the machine's namespace only the algorithms it allows may be chosen.
TCP_ALLOWED_CONGESTION = SharedSetting("tcp_allowed_congestion_control",
                                       "/proc/sys/net/ipv4/tcp_allowed_congestion_control")


def allowing(algorithms: set[str]):
    """Hosts may choose ``algorithms`` for as long as the run lasts."""
    def add(allowed: str) -> str:
        words = allowed.split()
        return " ".join([*words, *sorted(algorithms - set(words))])

    return TCP_ALLOWED_CONGESTION.held(add)


# Linux keeps one neighbour (ARP) table for every namespace, and its limits
# count all their entries together: past gc_thresh3 a new entry is refused
# ("neighbor table overflow") and its packets dropped, past gc_thresh2 every
# new one first runs a forced collection. Mininet sets gc_thresh3 to 16384,
# which 129 hosts of one LAN that all talk to each other overfill.
NEIGHBOUR_TABLE_LIMITS = tuple(
    SharedSetting(f"neigh_gc_thresh{level}", f"/proc/sys/net/ipv4/neigh/default/gc_thresh{level}")
    for level in (1, 2, 3))


@contextlib.contextmanager
def neighbour_room(entries: int) -> Iterator[None]:
    """Each of the neighbour table's limits raised by ``entries`` for as long
    as the run lasts: runs at once each add their own."""
    with contextlib.ExitStack() as held:
        for limit in NEIGHBOUR_TABLE_LIMITS:
            held.enter_context(limit.held(lambda value: str(int(value) + entries)))
        yield


SETTINGS = (TCP_ALLOWED_CONGESTION, *NEIGHBOUR_TABLE_LIMITS)
