"""The measuring browser against a local stand-in server (no root needed)."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.page_client import MODES, Page, page_load_time, parse_references

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
    timings = Page("127.0.0.1", "127.0.0.1", server, 0, "/index.html", mode, 0, parallel=2).load()
    assert sorted(t.path for t in timings) == sorted(OBJECTS)
    assert all(t.status == 200 and t.body_bytes == len(OBJECTS[t.path]) for t in timings)
    assert len({t.connection for t in timings}) == connections
    assert len(Handler.connections) == connections
    for t in timings:
        assert t.connect_start <= t.connected <= t.request_sent <= t.first_byte <= t.last_byte
    assert page_load_time(timings) >= max(t.last_byte - t.request_sent for t in timings)


def test_pipelining_sends_every_object_request_at_once(server):
    timings = Page("127.0.0.1", "127.0.0.1", server, 0, "/index.html", "pipelined", 0,
                   parallel=1).load()
    objects = [t for t in timings if t.path != "/index.html"]
    assert len({t.request_sent for t in objects}) == 1


def test_modes_are_the_textbooks():
    assert MODES == ("nonpersistent", "parallel", "persistent", "pipelined", "http2")
