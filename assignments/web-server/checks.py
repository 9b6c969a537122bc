"""Checks for the web server, run against the live network: curl and
applab's browser (services/page_client) fetch from h1 what the server on h2
(port 6789) has in its working directory."""
import csv
import hashlib
import sys
from pathlib import Path

PORT = 6789
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
    done = lab.run("h1", [sys.executable, "-m", "services.page_client", "--host",
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
