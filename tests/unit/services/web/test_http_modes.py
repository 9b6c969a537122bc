"""The textbook's HTTP modes against a local stand-in server (no root needed)."""
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.web import tls
from services.web.http_modes import (
    MODES,
    FrameRanges,
    Origin,
    Page,
    page_load_time,
    parse_references,
)

PAGE = ('<html><head><link rel="stylesheet" href="/s.css"><link rel="icon" href="/i.ico">'
        '</head><body><img src="/a.jpg"><img src="/b.jpg"><script src="/c.js"></script>'
        '</body></html>')
OBJECTS = {"/index.html": PAGE.encode(), "/s.css": b"x" * 100, "/a.jpg": b"a" * 5000,
           "/b.jpg": b"b" * 70000, "/c.js": b"c" * 10}


def test_references_in_document_order():
    assert parse_references(PAGE) == ["/s.css", "/a.jpg", "/b.jpg", "/c.js"]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    connections: set = set()

    def do_GET(self):
        Handler.connections.add(self.client_address)
        body = OBJECTS[self.path]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Handler.connections = set()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()


@pytest.mark.parametrize("mode, connections", [("nonpersistent", 5), ("parallel", 5),
                                               ("persistent", 1), ("pipelined", 1)])
def test_http1_modes_fetch_every_object(server, mode, connections):
    timings = Page(Origin("127.0.0.1", "127.0.0.1", server), "/index.html", mode, 0,
                   parallel=2).load()
    assert sorted(t.path for t in timings) == sorted(OBJECTS)
    assert all(t.status == 200 and t.body_bytes == len(OBJECTS[t.path]) for t in timings)
    assert len({t.connection for t in timings}) == connections
    assert len(Handler.connections) == connections
    for t in timings:
        assert t.connect_start <= t.connected <= t.request_sent <= t.first_byte <= t.last_byte
    assert page_load_time(timings) >= max(t.last_byte - t.request_sent for t in timings)


def test_pipelining_sends_every_object_request_at_once(server):
    timings = Page(Origin("127.0.0.1", "127.0.0.1", server), "/index.html", "pipelined", 0,
                   parallel=1).load()
    objects = [t for t in timings if t.path != "/index.html"]
    assert len({t.request_sent for t in objects}) == 1


def test_pipelined_responses_are_placed_in_the_servers_byte_stream(server):
    timings = Page(Origin("127.0.0.1", "127.0.0.1", server), "/index.html", "pipelined", 0,
                   parallel=1).load()
    ranges = [tuple(map(int, t.tcp_ranges.split("-"))) for t in timings]
    assert ranges[0][0] == 0
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    # Each range holds a response's headers and its body.
    assert all(end - start > t.body_bytes for (start, end), t in zip(ranges, timings,
                                                                      strict=True))


def test_modes_are_the_textbooks_and_the_secure_ones():
    assert MODES == ("nonpersistent", "parallel", "persistent", "pipelined", "http2",
                     "https", "http3")


def frame(stream: int, payload: bytes, kind: int = 0) -> bytes:
    return len(payload).to_bytes(3, "big") + bytes([kind, 0]) + stream.to_bytes(4, "big") + \
        payload


def test_http2_frames_are_placed_however_the_bytes_are_cut():
    data = frame(0, b"settings", 4) + frame(1, b"h" * 20, 1) + frame(3, b"d" * 50) + \
        frame(1, b"d" * 30)
    ranges = FrameRanges()
    for at in range(0, len(data), 7):
        ranges.feed(data[at:at + 7])
    assert ranges.ranges_of(1) == "17-46 105-144"
    assert ranges.ranges_of(3) == "46-105"
    assert ranges.ranges_of(5) == ""


@pytest.fixture
def tls_server(tmp_path):
    """The stand-in server over TLS, its certificate for www.example.test
    from an authority made for the test."""
    for path, content in tls.issue(tmp_path, ["www.example.test"]).items():
        path.write_text(content)
    files = tls.files_in(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files.cert, files.key)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1], files
    httpd.shutdown()


def test_https_checks_the_certificate_against_the_runs_authority(tls_server, tmp_path):
    port, files = tls_server
    origin = Origin("www.example.test", "127.0.0.1", tls_port=port, ca=str(files.ca))
    timings = Page(origin, "/index.html", "https", 0, parallel=1).load()
    assert sorted(t.path for t in timings) == sorted(OBJECTS)
    page = timings[0]
    assert page.connect_start < page.connected <= page.request_sent < page.first_byte
    # Another name, or another authority, is refused.
    with pytest.raises(ssl.SSLCertVerificationError):
        Page(Origin("www.other.test", "127.0.0.1", tls_port=port, ca=str(files.ca)),
             "/index.html", "https", 0, parallel=1).load()
    for path, content in tls.issue(tmp_path / "other", ["www.example.test"]).items():
        path.parent.mkdir(exist_ok=True)
        path.write_text(content)
    with pytest.raises(ssl.SSLCertVerificationError):
        Page(Origin("www.example.test", "127.0.0.1", tls_port=port,
                    ca=str(tls.files_in(tmp_path / "other").ca)),
             "/index.html", "https", 0, parallel=1).load()
