"""The DASH player: its parameter checks, its rules' settings, the
kernel's RTT it logs per segment, and its retries."""
import socket
import time
from types import SimpleNamespace

import httpx
import pytest

from services import dash_player
from services.dash_player import DashPlayer, make_rule, tcp_rtt_ms


def test_a_player_names_a_known_rule_and_a_server_that_serves_video():
    spec = SimpleNamespace(services={"origin": SimpleNamespace(role="web-origin"),
                                     "edge1": SimpleNamespace(role="cdn-edge"),
                                     "dns": SimpleNamespace(role="dns-resolver")})
    assert DashPlayer.param_problems({"server": "edge1", "rule": "bola"}, spec) == []
    problems = dict(DashPlayer.param_problems({"server": "dns", "rule": "mpc",
                                               "safety": 0}, spec))
    assert set(problems) == {("server",), ("rule",), ("safety",)}
    # BOLA's top rung is reached where a full buffer is topped up.
    assert make_rule("bola", 0.8, segment_s=2, max_buffer_s=20).target_buffer_s == 18


def test_a_connection_s_rtt_comes_from_the_kernel():
    with socket.create_server(("127.0.0.1", 0)) as server, \
            socket.create_connection(server.getsockname()) as client:
        accepted, _ = server.accept()
        client.sendall(b"x" * 1000)
        accepted.recv(1000)
        accepted.close()
        rtt = tcp_rtt_ms(client)
    assert rtt is not None and 0 < rtt < 10      # loopback: well under a millisecond
    assert tcp_rtt_ms(None) is None


def test_a_failed_request_is_asked_again_until_the_deadline(monkeypatch):
    monkeypatch.setattr(dash_player, "RETRY_S", 0.01)
    answers = iter([httpx.ConnectError("name not resolved yet"), httpx.ConnectError("again"),
                    "the manifest"])

    def action():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    result, failed_s = dash_player.retrying(action, deadline=time.monotonic() + 5)
    assert result == "the manifest" and failed_s >= 0.02
    with pytest.raises(httpx.ConnectError):
        dash_player.retrying(lambda: (_ for _ in ()).throw(httpx.ConnectError("down")),
                             deadline=time.monotonic())
