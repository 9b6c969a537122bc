"""When bytes reached the host, and which were lost first, from chunks as a
capture or a qlog shows them."""
import json

import dpkt
import pytest

from orchestrator.experiment.models.arrivals import (
    Piece,
    first_arrivals,
    parse_ranges,
    quic_streams,
    reached,
    tcp_streams,
)


def test_bytes_in_order_were_never_lost():
    pieces = first_arrivals([(1.0, 0, 100), (2.0, 100, 200)])
    assert pieces == [Piece(0, 100, 1.0, False), Piece(100, 200, 2.0, False)]
    assert reached(pieces, [(50, 150)]) == (2.0, False)


def test_a_hole_filled_later_was_lost_and_only_its_bytes():
    # 100-200 is lost; 200-300 comes; the retransmission fills the hole.
    pieces = first_arrivals([(1.0, 0, 100), (2.0, 200, 300), (3.0, 100, 200)])
    assert Piece(100, 200, 3.0, True) in pieces
    assert reached(pieces, [(200, 300)]) == (2.0, False)
    assert reached(pieces, [(0, 100), (150, 160)]) == (3.0, True)


def test_a_copy_of_bytes_already_come_changes_nothing():
    pieces = first_arrivals([(1.0, 0, 100), (2.0, 0, 100), (3.0, 50, 150)])
    assert pieces == [Piece(0, 100, 1.0, False), Piece(100, 150, 3.0, False)]


def test_bytes_that_never_came_leave_the_arrival_unknown():
    assert reached(first_arrivals([(1.0, 0, 100)]), [(50, 150)]) is None


def test_ranges_as_the_client_writes_them():
    assert parse_ranges("61-170 170-1179") == [(61, 170), (170, 1179)]
    assert parse_ranges("") == []


def segment(src, dst, sport, dport, seq, payload=b"", flags=dpkt.tcp.TH_ACK):
    tcp = dpkt.tcp.TCP(sport=sport, dport=dport, seq=seq % 2 ** 32, flags=flags, data=payload)
    ip = dpkt.ip.IP(src=bytes(map(int, src.split("."))), dst=bytes(map(int, dst.split("."))),
                    p=dpkt.ip.IP_PROTO_TCP, data=tcp)
    ip.len = len(ip)
    return bytes(dpkt.ethernet.Ethernet(data=ip, type=dpkt.ethernet.ETH_TYPE_IP))


def test_a_capture_gives_each_connection_its_server_bytes(tmp_path):
    server, client = "10.0.0.2", "10.0.0.1"
    isn = 2 ** 32 - 50       # sequence numbers wrap within the connection
    frames = [
        (1.0, segment(server, client, 80, 5000, isn, flags=dpkt.tcp.TH_SYN | dpkt.tcp.TH_ACK)),
        (1.1, segment(client, server, 5000, 80, 1, b"GET / HTTP/1.1\r\n\r\n")),
        (1.2, segment(server, client, 80, 5000, isn + 1, b"a" * 100)),
        (1.3, segment(server, client, 80, 5000, isn + 201, b"c" * 100)),
        (1.4, segment(server, client, 80, 5000, isn + 101, b"b" * 100)),
        (1.5, segment(server, client, 443, 5001, 7, b"not this server port")),
    ]
    path = tmp_path / "h1.pcap"
    with open(path, "wb") as handle:
        writer = dpkt.pcap.Writer(handle)
        for when, frame in frames:
            writer.writepkt(frame, ts=when)
    streams = tcp_streams(path, server, {80})
    assert list(streams) == [5000]
    assert reached(streams[5000], [(0, 100)]) == (pytest.approx(1.2), False)
    assert reached(streams[5000], [(100, 200)]) == (pytest.approx(1.4), True)
    assert reached(streams[5000], [(200, 300)]) == (pytest.approx(1.3), False)


def test_a_qlog_gives_each_stream_its_frames(tmp_path):
    def received(ms, *frames):
        return {"name": "transport:packet_received", "time": ms,
                "data": {"frames": [{"frame_type": "stream", "stream_id": s, "offset": o,
                                     "length": n} for s, o, n in frames]}}
    qlog = {"traces": [{"events": [
        received(1000, (0, 0, 100), (4, 0, 50)),
        {"name": "transport:packet_sent", "time": 1001, "data": {"frames": []}},
        received(1002, (0, 200, 100), (4, 50, 50)),
        received(1005, (0, 100, 100))]}]}
    path = tmp_path / "c.qlog"
    path.write_text(json.dumps(qlog))
    streams = quic_streams(path)
    assert reached(streams[4], [(0, 100)]) == (pytest.approx(1.002), False)
    assert reached(streams[0], [(0, 300)]) == (pytest.approx(1.005), True)
