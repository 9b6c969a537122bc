"""Mail user agents: one that submits messages over SMTP (smtplib) to its
mail server, one that reads a mailbox over IMAP (imaplib). Each logs every
message with its headers, times and a digest of its body, so a model can
follow each one from submission to the reader's screen.

    python -m services.mail.user send --config sender.json --out sent.csv
    python -m services.mail.user read --config reader.json --out fetched.csv
"""
from __future__ import annotations

import argparse
import csv
import email
import email.policy
import email.utils
import hashlib
import imaplib
import json
import re
import signal
import smtplib
import sys
import time
from email.message import EmailMessage
from pathlib import Path

from services.base import (
    CsvWorkload,
    HostContext,
    service_role_problems,
    whole_number_problems,
)

SMTP_PORT = 25
IMAP_PORT = 143
HEADERS = ("From", "To", "Subject", "Date", "Message-ID")
SENT_FIELDS = ["n", "message_id", "from", "to", "subject", "date", "bounce_expected",
               "size", "submit_start", "submit_end", "submit_s", "reply", "queue_id",
               "digest"]
FETCHED_FIELDS = ["uid", "message_id", "from", "to", "subject", "date", "fetched",
                  "received", "digest", "bounce_of"]
QUEUED_AS = re.compile(r"queued as (\w+)")
# A body line of the padding that makes a message ``size_bytes`` long: 7-bit
# ASCII, as SMTP carries.
PAD_LINE = "applab " * 10 + "\r\n"
# How often a reader asks for new mail: the resolution of its fetch times.
DEFAULT_POLL_S = 0.2


def body_digest(body: str) -> str:
    """The body's digest, line endings aside (SMTP carries CRLF, a file LF)."""
    lines = body.replace("\r\n", "\n").rstrip("\n")
    return hashlib.sha256(lines.encode()).hexdigest()[:16]


def addresses_problems(params: dict, spec, keys: tuple[str, ...], must_exist: bool):
    """Each address under ``keys`` names a mailbox some mail-server of the
    spec holds (or, with ``must_exist`` false, a domain it holds but a user it
    has not: a bounce on purpose)."""
    mailboxes, domains = set(), set()
    for service in spec.services.values():
        if service.role == "mail-server" and service.params.get("domain"):
            domain = service.params["domain"]
            domains.add(domain)
            mailboxes |= {f"{u}@{domain}" for u in service.params.get("users", [])}
    problems = []
    for key in keys:
        value = params.get(key, [])
        for index, address in enumerate([value] if isinstance(value, str) else value):
            user, at, domain = str(address).partition("@")
            where = (key,) if isinstance(value, str) else (key, index)
            if not at or not user:
                problems.append((where, f"{address!r} is not an address user@domain"))
            elif domain not in domains:
                problems.append((where, f"no mail-server holds the domain {domain!r} of "
                                 f"{address!r} (domains: {', '.join(sorted(domains)) or 'none'})"))
            elif must_exist and address not in mailboxes:
                problems.append((where, f"{domain} has no mailbox {user!r} (its mail-server's "
                                 "users)"))
            elif not must_exist and address in mailboxes:
                problems.append((where, f"{address!r} exists: a bounce needs a user "
                                 f"{domain} does not have"))
    return problems


class MailSender(CsvWorkload):
    """Alice's user agent: ``messages`` messages to ``to`` (each to all of
    them), one SMTP session to her mail server for all, ``interval_s`` apart;
    then one message to each of ``bounce_to`` (users that do not exist)."""

    role = "mail-sender"
    columns = tuple(SENT_FIELDS)
    output = "sent.csv"
    service_refs = ("server",)
    defaults = {"server": None, "from": None, "to": [], "messages": 1, "interval_s": 0.0,
                "size_bytes": 0, "bounce_to": [], "subject": "applab message"}

    @staticmethod
    def param_problems(params: dict, spec) -> list[tuple[tuple, str]]:
        problems = service_role_problems(params, spec, "server", "mail-server",
                                         "that takes this agent's mail")
        if not params.get("from"):
            problems.append((("from",), "give the sender's address"))
        if not params.get("to") and not params.get("bounce_to"):
            problems.append((("to",), "give the recipients' addresses"))
        problems += addresses_problems(params, spec, ("from", "to"), must_exist=True)
        problems += addresses_problems(params, spec, ("bounce_to",), must_exist=False)
        return problems + whole_number_problems(params, ("messages",), at_least=0)

    def config(self, ctx: HostContext) -> dict[Path, str]:
        p = self._params(ctx)
        to = [p["to"]] if isinstance(p["to"], str) else list(p["to"])
        domain = p["from"].partition("@")[2]
        return {ctx.path("sender.json"): json.dumps({
            "server": ctx.address_of_service(p["server"]), "from": p["from"], "to": to,
            "messages": p["messages"], "interval_s": p["interval_s"],
            "size_bytes": p["size_bytes"], "bounce_to": list(p["bounce_to"]),
            "subject": p["subject"], "helo": ctx.host,
            "id_stem": f"{ctx.name}.{ctx.host}.{ctx.seed}", "id_domain": domain}, indent=1)}

    def command(self, ctx: HostContext) -> list[str]:
        return [sys.executable, "-m", "services.mail.user", "send",
                "--config", str(ctx.path("sender.json")), "--out", str(ctx.path(self.output))]


class MailReader(CsvWorkload):
    """Bob's user agent: logs in over IMAP and polls the inbox every
    ``poll_s`` until ``expect`` messages have come (or the run ends)."""

    role = "mail-reader"
    columns = tuple(FETCHED_FIELDS)
    output = "fetched.csv"
    service_refs = ("server",)
    defaults = {"server": None, "user": None, "password": "applab", "expect": 1,
                "poll_s": DEFAULT_POLL_S, "drain_s": 60}

    @staticmethod
    def param_problems(params: dict, spec) -> list[tuple[tuple, str]]:
        problems = service_role_problems(params, spec, "server", "imap-server",
                                         "of the mailbox")
        if not params.get("user"):
            problems.append((("user",), "give the mailbox's address"))
        problems += addresses_problems(params, spec, ("user",), must_exist=True)
        return problems + whole_number_problems(params, ("expect",), at_least=0)

    def config(self, ctx: HostContext) -> dict[Path, str]:
        p = self._params(ctx)
        return {ctx.path("reader.json"): json.dumps({
            "server": ctx.address_of_service(p["server"]), "user": p["user"],
            "password": p["password"], "expect": p["expect"], "poll_s": p["poll_s"],
            "deadline_s": float(p["duration_s"]) + float(p["drain_s"])}, indent=1)}

    def command(self, ctx: HostContext) -> list[str]:
        return [sys.executable, "-m", "services.mail.user", "read",
                "--config", str(ctx.path("reader.json")), "--out", str(ctx.path(self.output))]


def compose(config: dict, n: int, to: list[str]) -> EmailMessage:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = config["from"]
    message["To"] = ", ".join(to)
    message["Subject"] = f"{config['subject']} {n}"
    message["Date"] = email.utils.formatdate(localtime=False)
    message["Message-ID"] = f"<{config['id_stem']}.{n}@{config['id_domain']}>"
    body = f"Message {n} from {config['from']}.\r\n"
    while len(body) < config["size_bytes"]:
        body += PAD_LINE
    message.set_content(body, cte="7bit")
    return message


def send(config: dict, out: Path) -> None:
    plan = [(n, config["to"], False) for n in range(1, config["messages"] + 1)]
    plan += [(len(plan) + i + 1, [address], True) for i, address in enumerate(config["bounce_to"])]
    with open(out, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SENT_FIELDS)
        writer.writeheader()
        smtp = smtplib.SMTP(config["server"], SMTP_PORT, local_hostname=config["helo"])
        try:
            smtp.ehlo()
            for index, (n, to, bounce) in enumerate(plan):
                if index and config["interval_s"]:
                    time.sleep(config["interval_s"])
                message = compose(config, n, to)
                data = message.as_bytes()
                start = time.time()
                smtp.mail(config["from"])
                for address in to:
                    code, reply = smtp.rcpt(address)
                    if code != 250:
                        raise smtplib.SMTPRecipientsRefused({address: (code, reply)})
                code, reply = smtp.data(data)
                end = time.time()
                if code != 250:
                    raise smtplib.SMTPDataError(code, reply)
                reply = reply.decode(errors="replace")
                queued = QUEUED_AS.search(reply)
                writer.writerow({
                    "n": n, "message_id": message["Message-ID"].strip("<>"),
                    "from": config["from"], "to": ", ".join(to), "subject": message["Subject"],
                    "date": message["Date"], "bounce_expected": int(bounce), "size": len(data),
                    "submit_start": f"{start:.6f}", "submit_end": f"{end:.6f}",
                    "submit_s": f"{end - start:.6f}", "reply": f"{code} {reply}",
                    "queue_id": queued[1] if queued else "",
                    "digest": body_digest(message.get_content())})
                handle.flush()
        finally:
            try:
                smtp.quit()
            except smtplib.SMTPException:
                smtp.close()


def bounced_message_id(message) -> str:
    """The Message-ID of the message a delivery status notification returns."""
    for part in message.walk():
        if part.get_content_type() in ("text/rfc822-headers", "message/rfc822"):
            payload = part.get_payload()
            text = payload if isinstance(payload, str) else (
                payload[0].as_string() if payload else "")
            found = re.search(r"^Message-ID:\s*<([^>]+)>", text, re.M | re.I)
            if found:
                return found[1]
    return ""


def read(config: dict, out: Path) -> None:
    deadline = time.monotonic() + config["deadline_s"]
    seen: set[bytes] = set()
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    with open(out, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FETCHED_FIELDS)
        writer.writeheader()
        imap = imaplib.IMAP4(config["server"], IMAP_PORT)
        imap.login(config["user"], config["password"])
        try:
            while len(seen) < config["expect"] and time.monotonic() < deadline \
                    and not stopping:
                imap.select("INBOX", readonly=True)
                _, data = imap.uid("SEARCH", None, "ALL")
                new = [uid for uid in data[0].split() if uid not in seen]
                fetched = time.time()
                for uid in new:
                    _, parts = imap.uid("FETCH", uid, "(BODY.PEEK[])")
                    message = email.message_from_bytes(parts[0][1], policy=email.policy.default)
                    body = message.get_body(("plain",))
                    writer.writerow({
                        "uid": uid.decode(), "fetched": f"{fetched:.6f}",
                        "message_id": (message["Message-ID"] or "").strip("<>"),
                        "from": message["From"], "to": message["To"],
                        "subject": message["Subject"], "date": message["Date"],
                        "received": " | ".join(" ".join(str(r).split())
                                               for r in message.get_all("Received", [])),
                        "digest": body_digest(body.get_content()) if body else "",
                        "bounce_of": bounced_message_id(message)
                        if message.get_content_type() == "multipart/report" else ""})
                    seen.add(uid)
                handle.flush()
                if not new:
                    time.sleep(config["poll_s"])
        finally:
            imap.logout()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("send", "read"))
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    config = json.loads(args.config.read_text())
    (send if args.action == "send" else read)(config, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
