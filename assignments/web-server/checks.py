"""Checks for the web server, run against the live network: curl and
applab's browser (services/page_client) fetch from h1 what the server on h2
(port 6789) has in its working directory."""
import csv
import hashlib
import sys
from pathlib import Path

PORT = 6789
# How many ../ a path-traversal request climbs: more than any folder is deep.
CLIMB = 32
SITE = Path(__file__).parent / "site"


def url(lab, path: str) -> str:
    return f"http://{lab.address('h2')}:{PORT}{path}"


def fetch(lab, path: str, name: str):
    """The status, headers (lowercase names) and body curl got from h1."""
    reply = lab.http_get("h1", url(lab, path), name)
    assert reply.status is not None, (
        f"curl got no HTTP response for {path} ({reply.error or 'nothing came back'}): "
        "does the server answer with a status line, headers and a blank line?")
    return reply.status, reply.headers, reply.body


def check_serves_a_page(lab):
    """It answers GET /HelloWorld.html with 200 and the file."""
    status, _, body = fetch(lab, "/HelloWorld.html", "hello.html")
    assert status == 200, f"GET /HelloWorld.html: expected status 200, got {status}"
    assert body == (SITE / "HelloWorld.html").read_bytes(), (
        f"GET /HelloWorld.html: the body is not the file ({len(body)} bytes, the file "
        f"{(SITE / 'HelloWorld.html').stat().st_size})")


def check_answers_404_for_a_missing_file(lab):
    """It answers a file it does not have with 404 Not Found."""
    status, _, _ = fetch(lab, "/nothing-here.html", "missing.html")
    assert status == 404, f"GET /nothing-here.html: expected status 404, got {status}"


def check_sends_type_and_length(lab):
    """Its responses say their Content-Type and Content-Length."""
    for path, kind in (("/HelloWorld.html", "text/html"), ("/logo.png", "image/png")):
        _, headers, body = fetch(lab, path, Path(path).name)
        assert headers.get("content-type", "").startswith(kind), (
            f"GET {path}: expected Content-Type {kind}, got "
            f"{headers.get('content-type', 'none')!r}")
        assert headers.get("content-length") == str(len(body)), (
            f"GET {path}: Content-Length is {headers.get('content-length', 'missing')!r}, "
            f"the body {len(body)} bytes")


def check_serves_a_binary_file_intact(lab):
    """It sends an image byte for byte (no text decoding, no line endings changed)."""
    status, _, body = fetch(lab, "/logo.png", "logo.png")
    sent = (SITE / "logo.png").read_bytes()
    assert status == 200 and hashlib.sha256(body).digest() == hashlib.sha256(sent).digest(), (
        f"GET /logo.png: got {len(body)} bytes, not the file's {len(sent)}: "
        "read and send files as bytes ('rb'), not as text")


def check_a_browser_loads_the_page_and_its_image(lab):
    """applab's browser loads the page and the image it references."""
    out = lab.scratch("browser.csv")
    done = lab.run("h1", [sys.executable, "-m", "services.web.page_client", "--host",
                          lab.address("h2"), "--port", str(PORT), "--page", "/HelloWorld.html",
                          "--modes", "nonpersistent", "--pause", "0", "--out", str(out)],
                   timeout_s=30)
    assert done.status == 0 and out.exists(), (
        "the browser could not load the page: " + (done.err.strip()[-400:] or "no output"))
    loaded = {row["path"]: row for row in csv.DictReader(out.open())}
    for path, name in (("/HelloWorld.html", "HelloWorld.html"), ("/logo.png", "logo.png")):
        assert path in loaded, f"the browser did not fetch {path}"
        size = (SITE / name).stat().st_size
        assert loaded[path]["status"] == "200" and int(loaded[path]["body_bytes"]) == size, (
            f"the browser got status {loaded[path]['status']} and "
            f"{loaded[path]['body_bytes']} bytes for {path} (the file: {size})")


def still_serves(lab, after: str):
    """It still answers GET /HelloWorld.html with 200 after ``after``."""
    reply = lab.http_get("h1", url(lab, "/HelloWorld.html"), "after.html")
    program = lab.program("student")
    assert program.status is None and reply.status == 200, (
        f"after {after}, it " + (
            f"had exited (status {program.status}): {program.stderr.strip()[-300:]}"
            if program.status is not None else
            f"answered GET /HelloWorld.html with {reply.status or reply.error or 'nothing'}"))


def status_of(reply: bytes | None) -> int | None:
    """The status of a raw HTTP response (None: not one)."""
    parts = (reply or b"").split(b"\r\n", 1)[0].split()
    return int(parts[1]) if len(parts) > 1 and parts[0].startswith(b"HTTP/") \
        and parts[1].isdigit() else None


def check_survives_a_connection_closed_without_a_request(lab):
    """It keeps serving after a connection that closed without a request.

    What real clients send: browsers open connections ahead of time and
    may close them unused."""
    lab.exchange("h1", lab.address("h2"), PORT, b"")
    still_serves(lab, "a connection that closed without sending a request (browsers open "
                      "such connections): an empty message has no message.split()[1], so "
                      "close that connection and go on")


def check_answers_a_malformed_request_line_with_400(lab):
    """It answers a malformed request line with 400 Bad Request.

    What real clients send: a request line that is not 'METHOD PATH
    VERSION' (a scanner, a client of another protocol)."""
    reply = lab.exchange("h1", lab.address("h2"), PORT, b"HELLO\r\n\r\n")
    assert status_of(reply) == 400, (
        "sent the request line 'HELLO' (no path, no version): expected "
        f"'HTTP/1.1 400 Bad Request', got {(reply or b'nothing')[:80]!r}")
    still_serves(lab, "the malformed request line 'HELLO'")


def check_serves_nothing_outside_its_folder(lab):
    """It serves only its own folder's files, not /../../etc/passwd.

    What real clients send: a path that climbs out of the folder, as
    scanners on the Internet try on every server (with enough ../ to reach
    / from any folder)."""
    path = "/.." * CLIMB + "/etc/passwd"
    reply = lab.exchange("h1", lab.address("h2"), PORT,
                         f"GET {path} HTTP/1.1\r\nHost: h2\r\n\r\n".encode())
    shown = f"/../../ (../ {CLIMB} times) /etc/passwd"
    assert status_of(reply) not in (200, None) and b"root:" not in (reply or b""), (
        f"GET {shown}: expected an error status (404 or 403), got "
        f"{(reply or b'nothing')[:80]!r}: serve a file only if it lies in your folder")
    still_serves(lab, f"GET {shown}")
