"""Checks for the UDP uppercase server, run against the live network: the
slides' client (clients/UDPClient.py) sends from h1 and h2 to port 12000
on h3."""
PORT = 12000


def ask(lab, host: str, sentence: str):
    return lab.run(host, ["python3", lab.file("clients/UDPClient.py"), lab.address("h3"),
                          str(PORT)], input=sentence + "\n")


def check_answers_in_uppercase(lab):
    """It answers a sentence with the same sentence in uppercase."""
    reply = ask(lab, "h1", "hello, world")
    assert reply.status == 0, (
        f"the client got no answer from UDP port {PORT} within 10 s ({reply.err.strip()}); "
        "does the server send its reply to the address recvfrom returned?")
    assert reply.out.strip() == "HELLO, WORLD", (
        f"sent 'hello, world', expected 'HELLO, WORLD', got {reply.out.strip()!r}")


def check_answers_every_client(lab):
    """It answers one client after another, from two hosts."""
    for host, sentence in (("h1", "first"), ("h2", "second"), ("h1", "third")):
        reply = ask(lab, host, sentence)
        assert reply.status == 0, (
            f"{host} sent {sentence!r} and got no answer within 10 s: a server loops, "
            "answering each datagram, and never exits")
        assert reply.out.strip() == sentence.upper(), (
            f"{host} sent {sentence!r}, expected {sentence.upper()!r}, "
            f"got {reply.out.strip()!r}")


def check_survives_an_empty_datagram(lab):
    """It goes on answering after an empty datagram.

    What real clients send: an empty datagram (a probe, a keepalive)."""
    lab.exchange("h1", lab.address("h3"), PORT, b"", protocol="udp", wait_s=1.0)
    program = lab.program("student")
    assert program.status is None, (
        f"after an empty datagram it exited with status {program.status}: "
        + ((program.stderr or program.stdout).strip()[-300:] or "no output"))
    reply = ask(lab, "h2", "after the empty one")
    assert reply.status == 0 and reply.out.strip() == "AFTER THE EMPTY ONE", (
        "after an empty datagram it no longer answered 'after the empty one' "
        f"({reply.out.strip() or reply.err.strip()!r})")


def check_still_running(lab):
    """It is still running after answering (a server serves until stopped)."""
    program = lab.program("student")
    assert program.status is None, (
        f"the server exited with status {program.status}; its last output: "
        + ((program.stderr or program.stdout)[-500:] or "none"))
