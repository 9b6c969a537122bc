"""SMTP dialogues decoded from a capture: each TCP connection to port 25 as
``S:``/``C:`` lines with their times, the message content folded into one
line, and the round trips it took.

Pure: it reads pcap bytes. Each direction of a connection is reassembled in
sequence order (a retransmission is read once), and every line carries the
time of the packet that completed it, as seen where the capture was taken.
"""
from __future__ import annotations

import io
import socket
from dataclasses import dataclass, field

import dpkt

SMTP_PORT = 25
# The slide's dialogue (Kurose & Ross, "Sample SMTP interaction"), as tokens:
# reply codes for the server, verbs for the client, "…" for the message.
SLIDE_DIALOGUE = ("220", "HELO", "250", "MAIL FROM", "250", "RCPT TO", "250", "DATA", "354",
                  "…", ".", "250", "QUIT", "221")
CONTENT = "…"


@dataclass
class Line:
    time: float
    side: str     # "C" (client) or "S" (server)
    text: str     # a command or reply line; for the content, its summary


@dataclass
class Dialogue:
    client: str
    server: str
    client_port: int
    syn: float
    syn_ack: float | None = None
    lines: list[Line] = field(default_factory=list)
    content_bytes: list[int] = field(default_factory=list)  # per message
    seven_bit: bool = True          # every content byte below 128
    ends_crlf_dot_crlf: bool = True  # every message ended with CRLF.CRLF

    def tokens(self) -> list[str]:
        """The dialogue as the slide writes it: each reply's code (a
        multi-line reply once), each command's verb (EHLO as HELO), the
        content as "…"."""
        tokens = []
        for line in self.lines:
            if line.side == "S":
                if len(line.text) > 3 and line.text[3] == "-":
                    continue  # a multi-line reply: its last line stands for it
                tokens.append(line.text[:3])
            else:
                tokens.append(verb(line.text))
        return tokens

    def time_of(self, token: str, nth: int = 1) -> float | None:
        """When the ``nth`` line that reads as ``token`` was seen."""
        count = 0
        for line, tok in zip(self.lines_by_token(), self.tokens(), strict=True):
            if tok == token:
                count += 1
                if count == nth:
                    return line.time
        return None

    def lines_by_token(self) -> list[Line]:
        return [line for line in self.lines
                if not (line.side == "S" and len(line.text) > 3 and line.text[3] == "-")]

    def transcript(self) -> list[str]:
        """The dialogue as ``S:``/``C:`` lines, each with its time after the SYN."""
        return [f"{1000 * (line.time - self.syn):8.1f} ms  {line.side}: {line.text}"
                for line in self.lines]

    @property
    def messages(self) -> int:
        return len(self.content_bytes)

    def message_accepted_s(self, nth: int = 1) -> float | None:
        """From the client's SYN to the server's reply to the ``nth`` message's "."."""
        tokens = self.tokens()
        lines = self.lines_by_token()
        dots = [i for i, tok in enumerate(tokens) if tok == "." and lines[i].side == "C"]
        if not 1 <= nth <= len(dots):
            return None
        for line in lines[dots[nth - 1] + 1:]:
            if line.side == "S":
                return line.time - self.syn
        return None

    def closed_s(self) -> float | None:
        """From the SYN to the server's 221 (closure)."""
        when = self.time_of("221")
        return None if when is None else when - self.syn


def verb(command: str) -> str:
    upper = command.upper()
    if upper.startswith(("EHLO", "HELO")):
        return "HELO"
    for two_words in ("MAIL FROM", "RCPT TO"):
        if upper.startswith(two_words):
            return two_words
    return upper.split(" ", 1)[0] if upper else upper


class _Stream:
    """One direction of a connection: bytes in sequence order."""

    def __init__(self, isn: int):
        self.next_seq = (isn + 1) & 0xFFFFFFFF
        self.pending: dict[int, bytes] = {}
        self.buffer = b""

    def add(self, seq: int, payload: bytes) -> bytes:
        """New in-order bytes this segment makes available."""
        if payload:
            self.pending.setdefault(seq, payload)
        out = b""
        while True:
            for start, data in list(self.pending.items()):
                offset = (self.next_seq - start) & 0xFFFFFFFF
                if offset < len(data):
                    out += data[offset:]
                    self.next_seq = (start + len(data)) & 0xFFFFFFFF
                    del self.pending[start]
                    break
                if offset < 0x80000000:  # wholly behind: a retransmission
                    del self.pending[start]
                    break
            else:
                return out


class _Connection:
    def __init__(self, client, server, port, syn_time, isn):
        self.dialogue = Dialogue(client, server, port, syn_time)
        self.streams = {"C": _Stream(isn), "S": None}
        self.partial = {"C": b"", "S": b""}
        self.in_content = False
        self.content = b""

    def feed(self, side: str, when: float, data: bytes) -> None:
        self.partial[side] += data
        while b"\r\n" in self.partial[side]:
            raw, self.partial[side] = self.partial[side].split(b"\r\n", 1)
            if side == "C" and self.in_content:
                self._content_line(when, raw)
                continue
            text = raw.decode("ascii", errors="replace")
            self.dialogue.lines.append(Line(when, side, text))
            if side == "S" and text.startswith("354"):
                # Content follows DATA only once the server says so (a
                # pipelined DATA after a refused RCPT gets 554 instead).
                self.in_content, self.content = True, b""

    def _content_line(self, when: float, raw: bytes) -> None:
        if raw == b".":
            lines = self.content.count(b"\r\n")
            self.dialogue.lines.append(Line(when, "C", f"{CONTENT} ({lines} lines, "
                                                     f"{len(self.content)} bytes)"))
            self.dialogue.lines.append(Line(when, "C", "."))
            self.dialogue.content_bytes.append(len(self.content))
            self.dialogue.seven_bit &= all(b < 128 for b in self.content)
            self.dialogue.ends_crlf_dot_crlf &= self.content.endswith(b"\r\n")
            self.in_content = False
        else:
            self.content += raw + b"\r\n"


def decode(pcap: bytes) -> list[Dialogue]:
    """Every SMTP connection in a capture whose SYN it holds, in SYN order."""
    connections: dict[tuple, _Connection] = {}
    for when, frame in dpkt.pcap.Reader(io.BytesIO(pcap)):
        ip = dpkt.ethernet.Ethernet(frame).data
        if not isinstance(ip, dpkt.ip.IP) or not isinstance(ip.data, dpkt.tcp.TCP):
            continue
        tcp = ip.data
        if SMTP_PORT not in (tcp.sport, tcp.dport):
            continue
        src, dst = socket.inet_ntoa(ip.src), socket.inet_ntoa(ip.dst)
        syn, ack = tcp.flags & dpkt.tcp.TH_SYN, tcp.flags & dpkt.tcp.TH_ACK
        if tcp.dport == SMTP_PORT:
            key, side = (src, tcp.sport, dst), "C"
        else:
            key, side = (dst, tcp.dport, src), "S"
        if syn and not ack and side == "C":
            if key not in connections:  # a repeated SYN keeps the first's time
                connections[key] = _Connection(src, dst, tcp.sport, when, tcp.seq)
            continue
        connection = connections.get(key)
        if connection is None:
            continue
        if syn and ack and side == "S":
            if connection.streams["S"] is None:
                connection.streams["S"] = _Stream(tcp.seq)
                connection.dialogue.syn_ack = when
            continue
        stream = connection.streams[side]
        if stream is None or not tcp.data:
            continue
        connection.feed(side, when, stream.add(tcp.seq, bytes(tcp.data)))
    return sorted((c.dialogue for c in connections.values()), key=lambda d: d.syn)


def round_trips(pipelining: bool, recipients: int = 1) -> list[str]:
    """The exchanges of relaying one message, each a round trip of the hop, to
    the server's acceptance of the message; QUIT and 221 follow (closure).
    Without PIPELINING every command waits for its reply (the textbook's
    picture); with it MAIL, the RCPTs and DATA go in one flight (RFC 2920)."""
    exchanges = ["connect: SYN → SYN-ACK", "banner: → 220", "EHLO → 250"]
    if pipelining:
        exchanges.append("MAIL FROM, RCPT TO, DATA → 250, 250, 354")
    else:
        exchanges += ["MAIL FROM → 250"] + ["RCPT TO → 250"] * recipients + ["DATA → 354"]
    exchanges.append("message, . → 250")
    return exchanges


def exchange_table(dialogue: Dialogue) -> list[dict]:
    """Each round trip the client waited for, from the capture: what it sent,
    what came back, and when (ms after the SYN)."""
    rows = []
    if dialogue.syn_ack is not None:
        rows.append({"sent": "SYN", "reply": "SYN-ACK",
                     "at_ms": 1000 * (dialogue.syn_ack - dialogue.syn)})
    sent: list[str] = []
    replies: list[str] = []
    reply_time = None
    for line, token in zip(dialogue.lines_by_token(), dialogue.tokens(), strict=True):
        if line.side == "C":
            if replies:
                rows.append({"sent": ", ".join(sent) or "(connected)",
                             "reply": ", ".join(replies),
                             "at_ms": 1000 * (reply_time - dialogue.syn)})
                sent, replies = [], []
            sent.append(token)
        else:
            replies.append(token)
            reply_time = line.time
    if replies:
        rows.append({"sent": ", ".join(sent) or "(connected)", "reply": ", ".join(replies),
                     "at_ms": 1000 * (reply_time - dialogue.syn)})
    return rows
