"""Checks for the caching web proxy, run against the live network: curl on
host client asks the proxy for the origin's /object.bin; the origin's own
log (nginx) says what the proxy asked it, and with what status it answered."""
import ipaddress
import os
import time
from pathlib import Path

PORT = 8888
OBJECT = "/object.bin"
SIZE = 80000 // 8
NEW = b"y" * 7000


def through_proxy(lab, name: str):
    """The status, headers (lowercase names) and body curl got via the proxy."""
    reply = lab.http_get("client", f"http://{lab.address('origin')}{OBJECT}", name,
                         proxy=f"http://{lab.address('proxy')}:{PORT}")
    assert reply.status is not None, (
        f"the proxy sent no HTTP response ({reply.error or 'nothing came back'})")
    return reply.status, reply.headers, reply.body


def origin_answers(lab) -> list[int]:
    """The statuses the origin gave to requests for the object, in order
    (its log: msec address "request" status ...)."""
    log = Path(lab.home("origin")) / "access.log"
    return [int(line.split()[5]) for line in log.read_text().splitlines()
            if f"GET {OBJECT} " in line]


def check_fetches_through_the_origin(lab):
    """The first request comes back whole, with Content-Type and Content-Length."""
    status, headers, body = through_proxy(lab, "first")
    assert status == 200 and body == b"x" * SIZE, (
        f"expected 200 and the origin's {SIZE} bytes, got {status} and {len(body)} bytes")
    assert headers.get("content-length") == str(len(body)), (
        f"Content-Length is {headers.get('content-length', 'missing')!r}, "
        f"the body {len(body)} bytes")
    assert "content-type" in headers, "the response has no Content-Type"
    assert origin_answers(lab) == [200], (
        f"the origin answered {origin_answers(lab)} for the object: expected one 200")


def check_the_second_request_is_a_hit(lab):
    """The second request is served from the cache: the origin sends no body again."""
    status, _, body = through_proxy(lab, "second")
    assert status == 200 and body == b"x" * SIZE, (
        f"the second time: expected 200 and {SIZE} bytes, got {status} and {len(body)}")
    answers = origin_answers(lab)
    assert answers.count(200) == 1, (
        f"the origin sent the whole object {answers.count(200)} times ({answers}): "
        "the proxy did not keep it")


def check_asks_the_origin_with_a_conditional_get(lab):
    """It checks a cached object with the origin (a conditional GET, answered 304)."""
    answers = origin_answers(lab)
    assert 304 in answers, (
        f"the origin's answers were {answers}, no 304: the object is marked no-cache, so "
        "before reusing it the proxy asks with If-Modified-Since (the Last-Modified it got)")


def check_serves_the_new_version_after_a_change(lab):
    """After the object changes at the origin, the proxy serves the new version."""
    changed = Path(lab.home("origin")) / "www" / "object.bin"
    changed.write_bytes(NEW)
    # A minute later than it was: Last-Modified counts whole seconds.
    os.utime(changed, (time.time() + 60, time.time() + 60))
    status, _, body = through_proxy(lab, "changed")
    assert status == 200 and body == NEW, (
        f"the object changed at the origin ({len(NEW)} bytes of 'y'), but the proxy sent "
        f"{status} and {len(body)} bytes" + (" of the old version" if body[:1] == b"x" else ""))


def unreachable_address(lab) -> str:
    """An address on the origin's subnet that no host has."""
    used = set(lab.addresses.values())
    origin = ipaddress.ip_address(lab.address("origin"))
    return next(str(origin + step) for step in range(100, 200) if str(origin + step) not in used)


def check_answers_an_unreachable_origin_with_an_error(lab):
    """It answers 5xx for an origin it cannot reach, and keeps serving.

    What real clients ask for: a URL whose host is down or does not exist."""
    address = unreachable_address(lab)
    reply = lab.http_get("client", f"http://{address}{OBJECT}", "unreachable",
                         proxy=f"http://{lab.address('proxy')}:{PORT}")
    program = lab.program("student")
    assert program.status is None, (
        f"asked for http://{address}{OBJECT} (no host has that address), it exited with "
        f"status {program.status}: {program.stderr.strip()[-300:]}\ncatch the error of "
        "connecting to the origin and answer 502 Bad Gateway")
    assert reply.status is not None and 500 <= reply.status < 600, (
        f"asked for http://{address}{OBJECT} (no host has that address), it answered "
        f"{reply.status or reply.error or 'nothing'}: expected 502 Bad Gateway")
    status, _, _ = through_proxy(lab, "after-unreachable")
    assert status == 200, f"after the unreachable origin, it answered {status} for {OBJECT}"
