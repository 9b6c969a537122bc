"""The relay's event loop, with socket pairs standing in for the TAPs (no root)."""
import argparse
import json
import os
import socket
import threading
import time

import pytest

from orchestrator.emulation.links.relay import Relay, parse_end


class Harness:
    def __init__(self):
        self.end_a, self.tap_a = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.end_b, self.tap_b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        for s in (self.tap_a, self.tap_b):
            s.setblocking(False)
        control_read, self.control_write = os.pipe()
        self.answers_read, answers_write = os.pipe()
        self.relay = Relay(self.tap_a.fileno(), self.tap_b.fileno(), seed=3,
                           control_in=os.fdopen(control_read, "r"),
                           control_out=os.fdopen(answers_write, "w"))
        self.answers = os.fdopen(self.answers_read, "r")
        self.thread = threading.Thread(target=self.relay.run, daemon=True)
        self.thread.start()

    def ask(self, message):
        os.write(self.control_write, (json.dumps(message) + "\n").encode())
        return json.loads(self.answers.readline())

    def close(self):
        os.close(self.control_write)
        self.thread.join(5)


@pytest.fixture
def harness():
    h = Harness()
    yield h
    h.close()


def test_frames_cross_with_the_configured_delay(harness):
    assert harness.ask({"cmd": "set", "dir": "a", "delay_ms": 30}) == {"ok": True}
    harness.end_b.settimeout(2)
    sent = time.monotonic()
    harness.end_a.send(b"frame-1")
    assert harness.end_b.recv(100) == b"frame-1"
    waited = time.monotonic() - sent
    # Scheduling on a busy 2-core machine can add a few ms, never subtract.
    assert 0.030 <= waited < 0.080


def test_directions_are_independent(harness):
    harness.ask({"cmd": "set", "dir": "a", "delay_ms": 200})
    harness.end_a.settimeout(2)
    start = time.monotonic()
    harness.end_b.send(b"back")
    assert harness.end_a.recv(100) == b"back"
    assert time.monotonic() - start < 0.1


def test_stats_count_relayed_and_lost(harness):
    harness.ask({"cmd": "set", "dir": "a", "loss_pct": 100})
    for _ in range(5):
        harness.end_a.send(b"x")
    harness.end_a.settimeout(2)
    harness.end_b.send(b"y")
    assert harness.end_a.recv(10) == b"y"
    stats = harness.ask({"cmd": "stats"})
    assert stats["a"]["dropped_loss"] == 5 and stats["a"]["relayed"] == 0
    assert stats["b"]["relayed"] == 1


def test_bad_control_messages_get_an_error(harness):
    assert harness.ask({"cmd": "bogus"})["ok"] is False
    answer = harness.ask({"cmd": "set", "dir": "a", "loss_pct": 500})
    assert answer["ok"] is False and "loss" in answer["error"]


def test_relay_exits_when_its_owner_closes_control():
    h = Harness()
    h.close()
    assert not h.thread.is_alive()


def test_end_argument_format():
    assert parse_end("/proc/1/ns/net:h1-eth0") == ("/proc/1/ns/net", "h1-eth0")
    with pytest.raises(argparse.ArgumentTypeError):
        parse_end("h1-eth0")
    with pytest.raises(argparse.ArgumentTypeError):
        parse_end("/proc/1/ns/net:an-interface-name-too-long")
