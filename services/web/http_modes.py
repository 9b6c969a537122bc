"""The textbook's HTTP modes, each loading one page and timing every object
(connect, request sent, first byte, last byte):

- ``nonpersistent``: a new TCP connection per object, one after another;
- ``parallel``: the base page, then the objects over K non-persistent
  connections at a time;
- ``persistent``: one connection, one request at a time;
- ``pipelined``: one connection, every object requested at once (raw
  sockets: no library pipelines);
- ``http2``: one HTTP/2 connection (cleartext, prior knowledge, the ``h2``
  library), every object on its own stream;
- ``https``: as ``persistent``, over TLS 1.3 (the server's certificate
  checked against the run's authority and the name asked for);
- ``http3``: one QUIC connection (``aioquic``), every object on its own
  stream; the connection's qlog is kept, so what reached the host when,
  stream by stream, can be told from what the program got.

Where an object's bytes lay on its connection is kept too: on TCP its
ranges in the byte stream the server sent (``tcp_port``, ``tcp_ranges``),
on QUIC its stream (``quic_trace``, ``quic_stream``). With a capture of the
client's interface that tells when each object reached the host, against
when the program could read it (``models.arrivals``). The measuring browser
that runs them is services.web.page_client.
"""
from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from queue import Empty, Queue

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
from aioquic.asyncio.client import connect
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.logger import QuicFileLogger

MODES = ("nonpersistent", "parallel", "persistent", "pipelined", "http2", "https", "http3")
TLS_MODES = ("https", "http3")
RECV_BYTES = 65536
# HTTP/2 receive windows: the protocol's default per stream, which keeps a
# server from queueing one large response ahead of every other stream (nginx
# would), and a large one for the connection, so it never paces the page.
H2_STREAM_WINDOW_BYTES = 65535
H2_CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024
TIMEOUT_S = 120


class _References(HTMLParser):
    """Objects a page references: images, scripts, stylesheets, frames."""

    ATTRIBUTES = {"img": "src", "script": "src", "iframe": "src", "link": "href"}

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        wanted = self.ATTRIBUTES.get(tag)
        values = dict(attrs)
        if wanted and values.get(wanted) and (tag != "link" or values.get("rel") == "stylesheet"):
            self.found.append(values[wanted])


def parse_references(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    return parser.found


@dataclass
class Timing:
    """One object's fetch; times in seconds from the page's start."""

    mode: str
    run: int
    path: str
    connection: int
    connect_start: float
    connected: float
    request_sent: float
    first_byte: float
    last_byte: float
    status: int
    body_bytes: int
    epoch: float = 0.0            # the wall-clock time of the page's time zero
    tcp_port: int | None = None
    tcp_ranges: str = ""          # "start-end ..." in the server's byte stream
    quic_trace: str = ""          # the connection's qlog file
    quic_stream: int | None = None


class Clock:
    def __init__(self):
        self.origin = time.monotonic()
        self.epoch = time.time()

    def now(self) -> float:
        return time.monotonic() - self.origin


def tls_context(ca: str, alpn: str) -> ssl.SSLContext:
    """TLS 1.3, trusting the run's authority alone, verifying strictly on
    every Python (3.13's default)."""
    context = ssl.create_default_context(cafile=ca)
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.set_alpn_protocols([alpn])
    return context


class Http1Connection:
    """HTTP/1.1 over a raw socket (or TLS with ``tls``): enough to pipeline
    and to time each byte. ``consumed``: bytes of the server's stream taken
    as responses so far."""

    def __init__(self, host: str, address: str, port: int, clock: Clock, number: int,
                 tls: ssl.SSLContext | None = None):
        self.host, self.clock, self.number = host, clock, number
        self.connect_start = clock.now()
        sock = socket.create_connection((address, port), timeout=TIMEOUT_S)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.port = sock.getsockname()[1]
        # The handshake is part of connecting: ``connected`` is when a request can go.
        self.sock = tls.wrap_socket(sock, server_hostname=host) if tls else sock
        self.connected = clock.now()
        self.buffer = b""
        self.consumed = 0

    def send(self, paths: list[str], keepalive: bool, extra_headers: dict | None = None
             ) -> float:
        connection = "keep-alive" if keepalive else "close"
        headers = "".join(f"{k}: {v}\r\n" for k, v in (extra_headers or {}).items())
        requests = "".join(f"GET {p} HTTP/1.1\r\nHost: {self.host}\r\n{headers}"
                           f"Connection: {connection}\r\n\r\n" for p in paths)
        self.sock.sendall(requests.encode())
        return self.clock.now()

    def _fill(self) -> float:
        data = self.sock.recv(RECV_BYTES)
        if not data:
            raise ConnectionError("the server closed the connection mid-response")
        self.buffer += data
        return self.clock.now()

    def read_response(self) -> tuple[int, dict, bytes, float, float]:
        """Status, headers, body, first-byte and last-byte times."""
        first = self._fill() if not self.buffer else self.clock.now()
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip()
                   for k, v in (line.split(":", 1) for line in lines[1:])}
        length = 0 if status in (204, 304) else int(headers.get("content-length", 0))
        last = first
        while len(self.buffer) < length:
            last = self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        self.last_range = (self.consumed, self.consumed + len(head) + 4 + length)
        self.consumed = self.last_range[1]
        return status, headers, body, first, last

    def close(self):
        self.sock.close()


@dataclass(frozen=True)
class Origin:
    """Where the page is: the name asked for, its address and ports, and the
    authority its TLS certificate must come from (``ca``)."""

    host: str
    address: str
    port: int = 80
    h2_port: int = 8080
    tls_port: int = 443
    ca: str | None = None


class Page:
    """One page load in one mode. ``qlog_dir``: where an HTTP/3 load keeps
    its connection's qlog."""

    def __init__(self, origin: Origin, page: str, mode: str, run: int, parallel: int,
                 qlog_dir: Path | None = None):
        self.origin, self.page = origin, page
        self.mode, self.run, self.parallel = mode, run, parallel
        self.qlog_dir = qlog_dir
        self.clock = Clock()
        self.timings: list[Timing] = []
        self.connections = 0
        self.lock = threading.Lock()

    def _timing(self, path: str, connection: int, connect_start: float, connected: float,
                sent: float, first: float, last: float, status: int, body_bytes: int,
                **where) -> None:
        with self.lock:
            self.timings.append(Timing(self.mode, self.run, path, connection, connect_start,
                                       connected, sent, first, last, status, body_bytes,
                                       epoch=self.clock.epoch, **where))

    def _record(self, conn: Http1Connection, path, sent, status, body, first, last):
        # Over TLS the server's bytes on the wire are records, not the response.
        ranges = "" if self.mode == "https" else f"{conn.last_range[0]}-{conn.last_range[1]}"
        self._timing(path, conn.number, conn.connect_start, conn.connected, sent, first, last,
                     status, len(body), tcp_port=conn.port, tcp_ranges=ranges)

    def _connect(self) -> Http1Connection:
        with self.lock:
            self.connections += 1
            number = self.connections
        o = self.origin
        if self.mode == "https":
            return Http1Connection(o.host, o.address, o.tls_port, self.clock, number,
                                   tls=tls_context(o.ca, "http/1.1"))
        return Http1Connection(o.host, o.address, o.port, self.clock, number)

    def _fetch_alone(self, path: str) -> bytes:
        conn = self._connect()
        try:
            sent = conn.send([path], keepalive=False)
            status, _, body, first, last = conn.read_response()
            self._record(conn, path, sent, status, body, first, last)
            return body
        finally:
            conn.close()

    def load(self) -> list[Timing]:
        getattr(self, f"_load_{self.mode}")()
        return sorted(self.timings, key=lambda t: t.request_sent)

    def _load_nonpersistent(self):
        for path in parse_references(self._fetch_alone(self.page).decode()):
            self._fetch_alone(path)

    def _load_parallel(self):
        queue: Queue[str] = Queue()
        for path in parse_references(self._fetch_alone(self.page).decode()):
            queue.put(path)

        def worker():
            while True:
                try:
                    path = queue.get_nowait()
                except Empty:
                    return
                self._fetch_alone(path)

        threads = [threading.Thread(target=worker) for _ in range(self.parallel)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _load_persistent(self, pipelined: bool = False):
        conn = self._connect()
        try:
            sent = conn.send([self.page], keepalive=True)
            status, _, body, first, last = conn.read_response()
            self._record(conn, self.page, sent, status, body, first, last)
            paths = parse_references(body.decode())
            if pipelined:
                sent = conn.send(paths, keepalive=True)
                for path in paths:
                    status, _, body, first, last = conn.read_response()
                    self._record(conn, path, sent, status, body, first, last)
            else:
                for path in paths:
                    sent = conn.send([path], keepalive=True)
                    status, _, body, first, last = conn.read_response()
                    self._record(conn, path, sent, status, body, first, last)
        finally:
            conn.close()

    def _load_pipelined(self):
        self._load_persistent(pipelined=True)

    def _load_https(self):
        self._load_persistent()

    def _load_http2(self):
        connect_start = self.clock.now()
        sock = socket.create_connection((self.origin.address, self.origin.h2_port),
                                        timeout=TIMEOUT_S)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connected = self.clock.now()
        frames = FrameRanges()
        config = h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        conn = h2.connection.H2Connection(config=config)
        conn.initiate_connection()
        conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE:
                              H2_STREAM_WINDOW_BYTES})
        conn.increment_flow_control_window(H2_CONNECTION_WINDOW_BYTES - 65535)
        sock.sendall(conn.data_to_send())
        streams: dict[int, dict] = {}

        def request(paths: list[str]) -> None:
            for path in paths:
                stream = conn.get_next_available_stream_id()
                conn.send_headers(stream, [(":method", "GET"), (":path", path),
                                           (":scheme", "http"),
                                           (":authority", self.origin.host)],
                                  end_stream=True)
                streams[stream] = {"path": path, "body": b"", "status": 0, "first": None}
            sock.sendall(conn.data_to_send())
            sent = self.clock.now()
            for stream in streams.values():
                stream.setdefault("sent", sent)

        def credit(stream_id: int, length: int) -> None:
            """Hand back flow-control credit at once, as browsers do: the
            window bounds what is in flight, not how fast it drains."""
            if not length:
                return
            conn.increment_flow_control_window(length)
            with contextlib.suppress(h2.exceptions.StreamClosedError):
                conn.increment_flow_control_window(length, stream_id)

        def receive_until_done(wanted: set[int]) -> None:
            while wanted:
                data = sock.recv(RECV_BYTES)
                if not data:
                    raise ConnectionError("the server closed the HTTP/2 connection")
                now = self.clock.now()
                frames.feed(data)
                for event in conn.receive_data(data):
                    stream = streams.get(getattr(event, "stream_id", None))
                    if isinstance(event, h2.events.ResponseReceived):
                        stream["status"] = int(dict(event.headers)[":status"])
                        stream["first"] = stream["first"] or now
                    elif isinstance(event, h2.events.DataReceived):
                        stream["body"] += event.data
                        stream["first"] = stream["first"] or now
                        credit(event.stream_id, event.flow_controlled_length)
                    elif isinstance(event, h2.events.StreamEnded):
                        stream["last"] = now
                        wanted.discard(event.stream_id)
                pending = conn.data_to_send()
                if pending:
                    sock.sendall(pending)

        def record(ids):
            for stream_id in ids:
                s = streams[stream_id]
                self._timing(s["path"], 1, connect_start, connected, s["sent"], s["first"],
                             s["last"], s["status"], len(s["body"]),
                             tcp_port=sock.getsockname()[1],
                             tcp_ranges=frames.ranges_of(stream_id))

        try:
            request([self.page])
            receive_until_done({1})
            record([1])
            before = set(streams)
            request(parse_references(streams[1]["body"].decode()))
            objects = set(streams) - before
            receive_until_done(set(objects))
            record(sorted(objects))
            conn.close_connection()
            sock.sendall(conn.data_to_send())
        finally:
            sock.close()


    def _load_http3(self):
        asyncio.run(self._http3())

    async def _http3(self):
        traces_before = set(self.qlog_dir.iterdir())
        config = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN,
                                   server_name=self.origin.host,
                                   quic_logger=QuicFileLogger(str(self.qlog_dir)))
        config.load_verify_locations(cafile=self.origin.ca)
        connect_start = self.clock.now()
        async with connect(self.origin.address, self.origin.tls_port, configuration=config,
                           create_protocol=Http3Client) as client:
            connected = self.clock.now()
            fetched = [await client.get(self.origin.host, self.page, self.clock)]
            paths = parse_references(fetched[0].body.decode())
            fetched += await asyncio.gather(*(client.get(self.origin.host, path, self.clock)
                                              for path in paths))
        # The qlog is written as the connection closes.
        trace, = set(self.qlog_dir.iterdir()) - traces_before
        for f in fetched:
            self._timing(f.path, 1, connect_start, connected, f.sent, f.first, f.last,
                         f.status, len(f.body), quic_trace=str(trace), quic_stream=f.stream)


class FrameRanges:
    """Where each HTTP/2 stream's frames lie in the server's byte stream,
    read alongside the ``h2`` library (which does not say)."""

    HEADER_BYTES = 9

    def __init__(self):
        self.offset = 0          # of the next unread frame
        self.pending = b""
        self.ranges: dict[int, list[tuple[int, int]]] = {}

    def feed(self, data: bytes) -> None:
        self.pending += data
        while len(self.pending) >= self.HEADER_BYTES:
            length = int.from_bytes(self.pending[:3], "big")
            stream = int.from_bytes(self.pending[5:9], "big") & 0x7FFFFFFF
            size = self.HEADER_BYTES + length
            if len(self.pending) < size:
                return
            if stream:
                self.ranges.setdefault(stream, []).append((self.offset, self.offset + size))
            self.offset += size
            self.pending = self.pending[size:]

    def ranges_of(self, stream: int) -> str:
        return " ".join(f"{start}-{end}" for start, end in self.ranges.get(stream, []))


@dataclass
class Fetched:
    path: str
    stream: int
    sent: float
    first: float = 0.0
    last: float = 0.0
    status: int = 0
    body: bytes = b""


class Http3Client(QuicConnectionProtocol):
    """GET over HTTP/3, timing each response's first and last byte."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.http = H3Connection(self._quic)
        self.waiting: dict[int, tuple[Fetched, asyncio.Future, Clock]] = {}

    async def get(self, host: str, path: str, clock: Clock) -> Fetched:
        stream = self._quic.get_next_available_stream_id()
        self.http.send_headers(stream, [(b":method", b"GET"), (b":scheme", b"https"),
                                        (b":authority", host.encode()),
                                        (b":path", path.encode())], end_stream=True)
        self.transmit()
        fetched = Fetched(path, stream, clock.now())
        done = asyncio.get_running_loop().create_future()
        self.waiting[stream] = (fetched, done, clock)
        await asyncio.wait_for(done, TIMEOUT_S)
        return fetched

    def quic_event_received(self, event) -> None:
        for h3_event in self.http.handle_event(event):
            if getattr(h3_event, "stream_id", None) not in self.waiting:
                continue
            fetched, done, clock = self.waiting[h3_event.stream_id]
            now = clock.now()
            if isinstance(h3_event, HeadersReceived):
                fetched.status = int(dict(h3_event.headers)[b":status"])
                fetched.first = fetched.first or now
            elif isinstance(h3_event, DataReceived):
                fetched.body += h3_event.data
                fetched.first = fetched.first or now
            if h3_event.stream_ended:
                fetched.last = now
                del self.waiting[h3_event.stream_id]
                done.set_result(None)


def page_load_time(timings: list[Timing]) -> float:
    """From the first connection attempt to the last byte of the last object."""
    return max(t.last_byte for t in timings) - min(t.connect_start for t in timings)
