"""The measuring browser: fetch a base page and the objects it references,
timing every object (connect, request sent, first byte, last byte), in one of
the textbook's HTTP modes:

- ``nonpersistent``: a new TCP connection per object, one after another;
- ``parallel``: the base page, then the objects over K non-persistent
  connections at a time;
- ``persistent``: one connection, one request at a time;
- ``pipelined``: one connection, every object requested at once (raw
  sockets: no library pipelines);
- ``http2``: one HTTP/2 connection (cleartext, prior knowledge, the ``h2``
  library), every object on its own stream.

    python -m services.page_client --host 10.0.2.2 --port 80 --h2-port 8080 \\
        --page /index.html --modes nonpersistent,http2 --repeat 3 --out pages.csv
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import socket
import sys
import threading
import time
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from pathlib import Path
from queue import Empty, Queue

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings

from services.base import CsvWorkload

MODES = ("nonpersistent", "parallel", "persistent", "pipelined", "http2")
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


class Clock:
    def __init__(self):
        self.origin = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self.origin


class Http1Connection:
    """HTTP/1.1 over a raw socket: enough to pipeline and to time each byte."""

    def __init__(self, host: str, address: str, port: int, clock: Clock, number: int):
        self.host, self.clock, self.number = host, clock, number
        self.connect_start = clock.now()
        self.sock = socket.create_connection((address, port), timeout=TIMEOUT_S)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connected = clock.now()
        self.buffer = b""

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
        return status, headers, body, first, last

    def close(self):
        self.sock.close()


class Page:
    """One page load in one mode."""

    def __init__(self, host: str, address: str, port: int, h2_port: int, page: str, mode: str,
                 run: int, parallel: int):
        self.host, self.address, self.port, self.h2_port = host, address, port, h2_port
        self.page = page
        self.mode, self.run, self.parallel = mode, run, parallel
        self.clock = Clock()
        self.timings: list[Timing] = []
        self.connections = 0
        self.lock = threading.Lock()

    def _record(self, conn, path, sent, status, body, first, last, connect_start=None,
                connected=None):
        with self.lock:
            self.timings.append(Timing(
                self.mode, self.run, path, conn.number,
                connect_start if connect_start is not None else conn.connect_start,
                connected if connected is not None else conn.connected,
                sent, first, last, status, len(body)))

    def _connect(self) -> Http1Connection:
        with self.lock:
            self.connections += 1
            number = self.connections
        return Http1Connection(self.host, self.address, self.port, self.clock, number)

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

    def _load_http2(self):
        connect_start = self.clock.now()
        sock = socket.create_connection((self.address, self.h2_port), timeout=TIMEOUT_S)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connected = self.clock.now()
        config = h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        conn = h2.connection.H2Connection(config=config)
        conn.initiate_connection()
        conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE:
                              H2_STREAM_WINDOW_BYTES})
        conn.increment_flow_control_window(H2_CONNECTION_WINDOW_BYTES - 65535)
        sock.sendall(conn.data_to_send())
        number = 1
        streams: dict[int, dict] = {}

        def request(paths: list[str]) -> None:
            for path in paths:
                stream = conn.get_next_available_stream_id()
                conn.send_headers(stream, [(":method", "GET"), (":path", path),
                                           (":scheme", "http"), (":authority", self.host)],
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
                self.timings.append(Timing(self.mode, self.run, s["path"], number,
                                           connect_start, connected, s["sent"], s["first"],
                                           s["last"], s["status"], len(s["body"])))

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


def page_load_time(timings: list[Timing]) -> float:
    """From the first connection attempt to the last byte of the last object."""
    return max(t.last_byte for t in timings) - min(t.connect_start for t in timings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="time a page load per HTTP mode")
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, default=80)
    parser.add_argument("--h2-port", type=int, default=8080)
    parser.add_argument("--page", default="/index.html")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--parallel", type=int, default=5)
    parser.add_argument("--pause", type=float, default=1.0,
                        help="seconds between page loads, so links drain")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    modes = args.modes.split(",")
    unknown = set(modes) - set(MODES)
    if unknown:
        parser.error(f"unknown modes {sorted(unknown)}; choose from {', '.join(MODES)}")
    # One lookup before any page load, as a browser's DNS cache makes it: the
    # page-load times are the textbook's, which leave DNS out.
    address = socket.gethostbyname(args.host)
    rows = []
    for run in range(args.repeat):
        for mode in modes:
            page = Page(args.host, address, args.port, args.h2_port, args.page, mode, run,
                        args.parallel)
            rows += [asdict(t) for t in page.load()]
            time.sleep(args.pause)
    with open(args.out, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(Timing.__dataclass_fields__))
        writer.writeheader()
        writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())


class PageClient(CsvWorkload):
    """The page client as a workload role (see services.base)."""

    role = "page-client"
    service_refs = ("origin",)
    output = "pages.csv"
    defaults = {"origin": None, "modes": list(MODES), "repeat": 3, "parallel": 5,
                "pause_s": 1.0, "port": 80, "h2c_port": 8080, "page": "/index.html",
                "clients": 1, "index": 0, "duration_s": 0}

    def command(self, ctx) -> list[str]:
        p = self._params(ctx)
        return [sys.executable, "-m", "services.page_client",
                "--host", ctx.url_host(p["origin"]), "--port", str(p["port"]),
                "--h2-port", str(p["h2c_port"]), "--page", p["page"],
                "--modes", ",".join(p["modes"]), "--repeat", str(p["repeat"]),
                "--parallel", str(p["parallel"]), "--pause", str(p["pause_s"]),
                "--out", str(ctx.path(self.output))]

    def metrics(self, ctx) -> dict:
        rows = self.read_rows(ctx)
        return {"objects_fetched": len(rows),
                "page_loads": len({(r["mode"], r["run"]) for r in rows})}
