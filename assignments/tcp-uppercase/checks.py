"""Checks for the TCP uppercase server, run against the live network: the
slides' client (clients/TCPClient.py) and nc connect from h1 and h2 to port
12000 on h3."""
PORT = 12000


def ask(lab, host: str, sentence: str):
    return lab.run(host, ["python3", lab.file("clients/TCPClient.py"), lab.address("h3"),
                          str(PORT)], input=sentence + "\n")


def check_answers_in_uppercase(lab):
    """It answers a sentence with the same sentence in uppercase."""
    reply = ask(lab, "h1", "hello, world")
    assert reply.out.strip() == "HELLO, WORLD", (
        f"sent 'hello, world', expected 'HELLO, WORLD', got {reply.out.strip()!r}"
        + (f" ({reply.err.strip()})" if reply.err.strip() else ""))


def check_closes_the_connection_after_answering(lab):
    """It closes the connection once it has answered."""
    reply = ask(lab, "h1", "close")
    assert "still open" not in reply.err, (
        "the client waited 10 s for the server to close the connection: the slides' "
        "server closes its connection socket after sending the answer")


def check_answers_every_connection(lab):
    """It answers one connection after another, from two hosts, and nc too."""
    for host, sentence in (("h1", "first"), ("h2", "second")):
        reply = ask(lab, host, sentence)
        assert reply.out.strip(), (
            f"{host} sent {sentence!r} and got nothing: a server accepts connections "
            "in a loop, one after another")
        assert reply.out.strip() == sentence.upper(), (
            f"{host} sent {sentence!r}, expected {sentence.upper()!r}, "
            f"got {reply.out.strip()!r}")
    reply = lab.run("h2", ["nc", "-N", lab.address("h3"), str(PORT)], input="third\n")
    assert reply.out.strip() == "THIRD", f"nc sent 'third' and got {reply.out.strip()!r}"


def check_still_running(lab):
    """It is still running after answering (a server serves until stopped)."""
    program = lab.program("student")
    assert program.status is None, (
        f"the server exited with status {program.status}; its last output: "
        + ((program.stderr or program.stdout)[-500:] or "none"))
