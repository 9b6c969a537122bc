"""The TAP relay: the fallback link emulator where the kernel has no netem.

One process per link. It creates a TAP device inside each end's network
namespace, then moves frames between them through one DelayLine per direction.
HTB on the TAPs (set by the link's interfaces) does the rate shaping.

Control is JSON lines: commands on stdin, answers on stdout.
  {"cmd": "set", "dir": "a", "delay_ms": 20, "jitter_ms": 0, "loss_pct": 1, "limit": 1000}
  {"cmd": "stats"}
The relay prints {"ready": true} once both TAPs exist, and exits cleanly when
stdin closes (its owner is gone), on SIGTERM, or when a TAP is deleted.

With ``--offload`` the TAPs take the kernel's segmentation offloads: the
hosts' stacks hand over TCP segments of up to 64 KB (each behind a 10-byte
virtio-net header, passed through unread), as they do to a veth with netem
on it. A frame then costs the relay the same whatever its size, so a
gigabit link is a few thousand frames a second, not 83 thousand.

    python -m orchestrator.emulation.links.relay --seed 1 [--offload] \
        NETNS_A:IFNAME_A NETNS_B:IFNAME_B
"""
from __future__ import annotations

import argparse
import ctypes
import errno
import fcntl
import json
import os
import random
import select
import signal
import struct
import sys
import time

from orchestrator.emulation.links.delayline import DelayLine, Impairment

TUNSETIFF = 0x400454CA
TUNSETOFFLOAD = 0x400454D0
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
IFF_VNET_HDR = 0x4000
# Checksums left to the receiver and TCP segmentation (IPv4, IPv6): a veth's.
TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6 = 0x01, 0x02, 0x04
CLONE_NEWNET = 0x40000000
# The largest segment the kernel hands over, with its virtio-net header.
MAX_FRAME = 65536 + 64
# Frames read from one TAP per wake-up: bounds the time before due frames go out.
READ_BURST = 64
# Timed wake-ups arrive late by a roughly constant scheduling latency (~0.2 ms
# here). The relay learns it and wakes that much early, then waits out the rest
# in a short spin, at most this long, so frames leave on time.
MAX_SPIN_S = 0.0005
LATENESS_GAIN = 0.1  # EWMA weight of each new wake-up lateness sample
PR_SET_TIMERSLACK = 29
# A TAP fd gives EBADFD once its device is deleted, and EIO while it is down.
DEVICE_GONE = errno.EBADFD
DEVICE_DOWN = errno.EIO

_libc = ctypes.CDLL("libc.so.6", use_errno=True)


def _setns(fd: int, what: str) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns({what}): {os.strerror(err)}")


def open_tap(netns: str, name: str, offload: bool = False) -> int:
    """Create TAP ``name`` inside the namespace at path ``netns`` (a
    /proc/PID/ns/net file) and return its non-blocking fd; with ``offload``
    it passes segmentation offloads through. The device lives as long as the
    fd: when the relay exits, its TAPs go with it."""
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(netns, os.O_RDONLY)
    try:
        _setns(target, netns)
        try:
            fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
            flags = IFF_TAP | IFF_NO_PI | (IFF_VNET_HDR if offload else 0)
            fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), flags))
            if offload:
                fcntl.ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)
            return fd
        finally:
            _setns(home, "the relay's own namespace")
    finally:
        os.close(home)
        os.close(target)


class Relay:
    def __init__(self, fd_a: int, fd_b: int, seed: int, control_in, control_out):
        rng = random.Random(seed)
        # Direction "a": frames sent by end a (read from TAP a) towards end b.
        self.lines = {"a": DelayLine(Impairment(), random.Random(rng.random())),
                      "b": DelayLine(Impairment(), random.Random(rng.random()))}
        self.fds = {"a": fd_a, "b": fd_b}
        self.peer = {"a": fd_b, "b": fd_a}
        self.control_in, self.control_out = control_in, control_out
        self.pending = b""
        self.running = True

    def reply(self, message: dict) -> None:
        self.control_out.write(json.dumps(message) + "\n")
        self.control_out.flush()

    def handle(self, line: str) -> None:
        try:
            message = json.loads(line)
            if message.get("cmd") == "set":
                self.lines[message["dir"]].configure(Impairment.from_message(message))
                self.reply({"ok": True})
            elif message.get("cmd") == "stats":
                self.reply({d: vars(line.counters) for d, line in self.lines.items()})
            else:
                self.reply({"ok": False, "error": f"unknown command {message.get('cmd')!r}"})
        except (ValueError, KeyError, TypeError) as exc:
            self.reply({"ok": False, "error": f"bad control message {line.strip()!r}: {exc}"})

    def read_control(self, fd: int) -> None:
        data = os.read(fd, 4096)
        if not data:  # stdin closed: the owner is gone
            self.running = False
            return
        self.pending += data
        while b"\n" in self.pending:
            line, self.pending = self.pending.split(b"\n", 1)
            if line.strip():
                self.handle(line.decode())

    def read_frames(self, direction: str, now: float) -> None:
        line, fd = self.lines[direction], self.fds[direction]
        for _ in range(READ_BURST):
            try:
                frame = os.read(fd, MAX_FRAME)
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno == DEVICE_GONE:
                    self.running = False
                    return
                if exc.errno == DEVICE_DOWN:
                    return
                raise
            line.offer(frame, now)

    def send_due(self, now: float) -> None:
        for direction, line in self.lines.items():
            for frame in line.release(now):
                try:
                    os.write(self.peer[direction], frame)
                    line.counters.relayed += 1
                except BlockingIOError:
                    line.counters.dropped_write += 1
                except OSError as exc:
                    if exc.errno == DEVICE_GONE:
                        self.running = False
                        return
                    if exc.errno != DEVICE_DOWN:
                        raise
                    line.counters.dropped_write += 1

    def next_due(self) -> float | None:
        dues = [d for d in (line.next_due() for line in self.lines.values()) if d is not None]
        return min(dues) if dues else None

    def run(self) -> None:
        _libc.prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0)
        control_fd = self.control_in.fileno()
        by_fd = {fd: direction for direction, fd in self.fds.items()}
        watched = [self.fds["a"], self.fds["b"], control_fd]
        lateness = 0.0
        while self.running:
            due = self.next_due()
            timeout = None
            if due is not None:
                wake_at = due - lateness
                timeout = max(0.0, wake_at - time.monotonic())
            readable, _, _ = select.select(watched, [], [], timeout)
            now = time.monotonic()
            if not readable and timeout:
                lateness += LATENESS_GAIN * (now - wake_at - lateness)
                lateness = min(max(lateness, 0.0), MAX_SPIN_S)
                while now < due:
                    now = time.monotonic()
            for fd in readable:
                if fd == control_fd:
                    self.read_control(control_fd)
                else:
                    self.read_frames(by_fd[fd], now)
            self.send_due(time.monotonic())


def parse_end(text: str) -> tuple[str, str]:
    netns, _, name = text.rpartition(":")
    if not netns or not name or len(name) > 15:
        raise argparse.ArgumentTypeError(f"{text!r} is not NETNS_PATH:IFNAME (IFNAME <= 15 chars)")
    return netns, name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--offload", action="store_true",
                        help="pass segmentation offloads through (frames up to 64 KB)")
    parser.add_argument("end_a", type=parse_end)
    parser.add_argument("end_b", type=parse_end)
    args = parser.parse_args(argv)

    def stop(_signum, _frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the owner handles Ctrl-C and stops us
    try:
        fd_a = open_tap(*args.end_a, offload=args.offload)
        fd_b = open_tap(*args.end_b, offload=args.offload)
    except OSError as exc:
        print(f"relay: cannot create TAPs {args.end_a[1]}/{args.end_b[1]}: {exc}",
              file=sys.stderr)
        return 1
    relay = Relay(fd_a, fd_b, args.seed, sys.stdin, sys.stdout)
    relay.reply({"ready": True})
    relay.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
