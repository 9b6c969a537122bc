"""The DASH player: its parameter checks, its rules' settings, the
kernel's RTT it logs per segment."""
import socket
from types import SimpleNamespace

from services.video.player import DashPlayer, make_rule, tcp_rtt_ms


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
