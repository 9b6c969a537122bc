"""Checks for the SMTP client: the real mail server (Postfix, on h2) logs
the dialogue it had, and Bob's mailbox is read over IMAP (Dovecot) as his
user agent would."""
import re

TEXT = "I love computer networks!"
SENDER, RECIPIENT = "alice@crepes.fr", "bob@hamburger.edu"
# Postfix's summary of one SMTP session: "disconnect from ...[10.0.0.1]
# ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5".
SESSION = re.compile(r"disconnect from \S*\[10\.0\.0\.1\](?P<commands>( \S+=\S+)*)")


def mailbox(lab) -> str:
    done = lab.run("h1", ["python3", lab.file("clients/read_mailbox.py"), lab.address("h2"),
                          "bob@hamburger.edu", "applab"])
    assert done.status == 0, (
        "Bob's mailbox could not be read over IMAP: "
        + (done.err.strip().splitlines() or ["no output"])[-1])
    return done.out


def sessions(lab) -> list[dict[str, str]]:
    log = (lab.home("mta") / "postfix.log").read_text(errors="replace")
    return [dict(item.split("=", 1) for item in match["commands"].split())
            for match in SESSION.finditer(log)]


def check_finishes(lab):
    """It finishes within its time limit, and exits cleanly."""
    program = lab.program("student")
    assert program.status != 124, (
        "it was still running at its time limit: is it waiting for a reply the server "
        "will not send? After DATA, end the message with a line holding only a period "
        "(<CR><LF>.<CR><LF>), then read the 250")
    assert program.status == 0, (
        f"it exited with status {program.status}: " + (program.stderr[-400:] or "no output"))


def check_bob_has_the_message(lab):
    """Bob finds the message in his mailbox."""
    assert TEXT in mailbox(lab), (
        f"no message in Bob's mailbox holds {TEXT!r}: did the server answer 250 to DATA's "
        "end? (the server's log: mta/postfix.log)")


def check_the_envelope(lab):
    """The message went from alice@crepes.fr to bob@hamburger.edu (MAIL FROM, RCPT TO)."""
    messages = [m for m in mailbox(lab).split("=== message ") if TEXT in m]
    assert messages, "no message arrived, so there is no envelope to check"
    received = messages[-1]
    assert f"Return-Path: <{SENDER}>" in received, (
        f"the envelope's sender (MAIL FROM) is not <{SENDER}>")
    assert f"Delivered-To: {RECIPIENT}" in received, (
        f"the envelope's recipient (RCPT TO) is not <{RECIPIENT}>")


def check_a_whole_dialogue(lab):
    """It greets, sends one message and says QUIT, as the server counted."""
    found = sessions(lab)
    assert found, "the mail server saw no SMTP session from h1"
    commands = found[-1]
    assert commands.get("helo", commands.get("ehlo")), f"no HELO or EHLO: {commands}"
    for command in ("mail", "rcpt", "data"):
        assert commands.get(command) == "1", (
            f"the server counted {command.upper()} {commands.get(command, '0')} time(s) "
            f"(its summary: {' '.join(f'{k}={v}' for k, v in commands.items())})")
    assert commands.get("quit") == "1", (
        "the client closed the connection without QUIT (the server's summary: "
        + " ".join(f"{k}={v}" for k, v in commands.items()) + ")")
