"""The SMTP decoder on a capture made up packet by packet, and the model's
round trips."""
import io
import socket

import dpkt
import pytest

from orchestrator.experiment.models.smtp_dialogue import (
    SLIDE_DIALOGUE,
    decode,
    exchange_table,
    round_trips,
)

CLIENT, SERVER = "10.0.1.8", "10.0.2.4"
RTT = 0.06


class Capture:
    """A pcap of one SMTP connection, seen at the client: each segment at
    its time, sequence numbers kept per direction."""

    def __init__(self):
        self.buffer = io.BytesIO()
        self.writer = dpkt.pcap.Writer(self.buffer)
        self.seq = {"C": 1000, "S": 5000}

    def segment(self, when, side, data=b"", flags=dpkt.tcp.TH_ACK, seq=None):
        src, dst, sport, dport = ((CLIENT, SERVER, 40000, 25) if side == "C"
                                  else (SERVER, CLIENT, 25, 40000))
        tcp = dpkt.tcp.TCP(sport=sport, dport=dport, flags=flags,
                           seq=self.seq[side] if seq is None else seq, data=data)
        ip = dpkt.ip.IP(src=socket.inet_aton(src), dst=socket.inet_aton(dst),
                        p=dpkt.ip.IP_PROTO_TCP, data=tcp)
        self.writer.writepkt(dpkt.ethernet.Ethernet(data=ip, type=dpkt.ethernet.ETH_TYPE_IP),
                             ts=when)
        if seq is None:
            self.seq[side] += len(data) + (1 if flags & dpkt.tcp.TH_SYN else 0)

    def pcap(self) -> bytes:
        return self.buffer.getvalue()


def slide_dialogue(pipelining: bool) -> bytes:
    """One message relayed, one RTT per client flight."""
    cap = Capture()
    cap.segment(0.0, "C", flags=dpkt.tcp.TH_SYN)
    cap.segment(RTT, "S", flags=dpkt.tcp.TH_SYN | dpkt.tcp.TH_ACK)
    cap.segment(RTT, "C")
    t = 2 * RTT
    cap.segment(t, "S", b"220 mail.hamburger.edu ESMTP\r\n")
    flights = [[b"EHLO mail.crepes.fr\r\n"], [b"MAIL FROM:<alice@crepes.fr>\r\n"],
               [b"RCPT TO:<bob@hamburger.edu>\r\n"], [b"DATA\r\n"],
               [b"Subject: hi\r\n\r\nDo you like ketchup?\r\n..and pickles?\r\n.\r\n"],
               [b"QUIT\r\n"]]
    replies = [[b"250-mail.hamburger.edu\r\n250 PIPELINING\r\n"], [b"250 2.1.0 Ok\r\n"],
               [b"250 2.1.5 Ok\r\n"], [b"354 End data\r\n"], [b"250 2.0.0 Ok: queued\r\n"],
               [b"221 Bye\r\n"]]
    if pipelining:
        flights = [flights[0], flights[1] + flights[2] + flights[3], flights[4] + flights[5]]
        replies = [replies[0], replies[1] + replies[2] + replies[3], replies[4] + replies[5]]
    for sent, answers in zip(flights, replies, strict=True):
        cap.segment(t, "C", b"".join(sent))
        t += RTT
        cap.segment(t, "S", b"".join(answers))
    return cap.pcap()


def test_the_slide_dialogue_decodes_to_the_slide_tokens():
    (dialogue,) = decode(slide_dialogue(pipelining=False))
    assert (dialogue.client, dialogue.server) == (CLIENT, SERVER)
    assert tuple(dialogue.tokens()) == SLIDE_DIALOGUE
    assert dialogue.messages == 1 and dialogue.seven_bit and dialogue.ends_crlf_dot_crlf
    assert dialogue.content_bytes == [len(b"Subject: hi\r\n\r\nDo you like ketchup?\r\n"
                                          b"..and pickles?\r\n")]
    assert dialogue.message_accepted_s() == pytest.approx(7 * RTT)
    assert dialogue.closed_s() == pytest.approx(8 * RTT)
    assert any(line.endswith("C: … (4 lines, 53 bytes)") for line in dialogue.transcript())


def test_round_trips_read_from_the_capture_match_the_model():
    for pipelining in (False, True):
        (dialogue,) = decode(slide_dialogue(pipelining))
        rows = exchange_table(dialogue)
        through_message = next(i + 1 for i, row in enumerate(rows) if "." in row["sent"])
        assert through_message == len(round_trips(pipelining))
        assert [row["at_ms"] for row in rows[:through_message]] == pytest.approx(
            [1000 * RTT * (i + 1) for i in range(through_message)])


def test_pipelining_sends_mail_rcpt_and_data_in_one_flight():
    (dialogue,) = decode(slide_dialogue(pipelining=True))
    assert dialogue.tokens()[3:9] == ["MAIL FROM", "RCPT TO", "DATA", "250", "250", "354"]
    assert dialogue.message_accepted_s() == pytest.approx(5 * RTT)


def test_retransmitted_and_reordered_segments_are_read_once_in_order():
    cap = Capture()
    cap.segment(0.0, "C", flags=dpkt.tcp.TH_SYN)
    cap.segment(RTT, "S", flags=dpkt.tcp.TH_SYN | dpkt.tcp.TH_ACK)
    banner = b"220 mx ESMTP\r\n"
    cap.segment(0.2, "S", banner[6:], seq=5001 + 6)   # the tail arrives first
    cap.segment(0.3, "S", banner[:6], seq=5001)
    cap.segment(0.4, "S", banner, seq=5001)           # a retransmission of all of it
    (dialogue,) = decode(cap.pcap())
    assert [(line.side, line.text, line.time) for line in dialogue.lines] == [
        ("S", "220 mx ESMTP", 0.3)]


def test_a_refused_recipient_is_not_mistaken_for_content():
    cap = Capture()
    cap.segment(0.0, "C", flags=dpkt.tcp.TH_SYN)
    cap.segment(RTT, "S", flags=dpkt.tcp.TH_SYN | dpkt.tcp.TH_ACK)
    cap.segment(0.12, "S", b"220 mx\r\n")
    cap.segment(0.12, "C", b"MAIL FROM:<a@b>\r\nRCPT TO:<nobody@c>\r\nDATA\r\n")
    cap.segment(0.18, "S", b"250 Ok\r\n550 User unknown\r\n554 no valid recipients\r\n")
    cap.segment(0.18, "C", b"RSET\r\nQUIT\r\n")
    (dialogue,) = decode(cap.pcap())
    assert dialogue.tokens()[-2:] == ["RSET", "QUIT"] and dialogue.messages == 0


def test_the_model_counts_one_exchange_per_command_without_pipelining():
    assert len(round_trips(pipelining=False)) == 7
    assert len(round_trips(pipelining=False, recipients=3)) == 9
    assert len(round_trips(pipelining=True, recipients=3)) == 5
