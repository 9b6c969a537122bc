"""The conditional GET against a local server that honours If-Modified-Since."""
import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.web.conditional_client import run


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def served(tmp_path):
    (tmp_path / "o").mkdir()
    obj = tmp_path / "o" / "0.bin"
    obj.write_bytes(b"x" * 5000 + b"y")
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1], obj
    httpd.shutdown()


def test_304_without_body_then_200_after_the_change(served):
    port, obj = served
    first, again, changed = run("127.0.0.1", port, "/o/0.bin", obj, pause_s=0.0)
    assert (first["step"], first["status"], first["body_bytes"]) == ("first", 200, 5001)
    assert (again["status"], again["body_bytes"]) == (304, 0)
    assert changed["status"] == 200 and changed["body_bytes"] == 5001
    assert obj.read_bytes().startswith(b"y")  # the origin's copy really changed
