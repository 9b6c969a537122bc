"""Postfix as a mail server: the MTA of a domain (mailboxes for its users), a
backup MX (it takes a domain's mail and passes it on), or both.

It finds the next hop of every message through DNS MX records, as the
textbook's mail servers do: there is no transport map. Each instance has its
own configuration, queue, data directory and log under its home; the host's
resolv.conf names the emulation's local DNS server.
"""
from __future__ import annotations

import pwd
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from services.base import HostContext, Probe, Role, whole_number_problems
from services.templates import render

SMTP_PORT = 25
# Deliveries into mailboxes are made as this user, and IMAP reads them as it.
MAILBOX_USER = "mail"
# Postfix's log: "Nov 29 20:10:01 mail.crepes.fr postfix/smtp[123]: 4ABC12: to=<...>, ..."
LOG_LINE = re.compile(r"^\w{3} +\d+ [\d:]+ \S+ postfix/(?P<daemon>[\w/-]+)"
                      r"\[\d+\]: (?P<text>.*)$")
# Short queue ids (hexadecimal): the configuration leaves long ones off.
QUEUE_ID = re.compile(r"^(?P<qid>[0-9A-F]{6,}): (?P<rest>.*)$")
FIELD = re.compile(r"(\w+)=(<[^>]*>|[^,]*)")
STATUS = re.compile(r"status=(?P<status>\w+) \((?P<reply>.*)\)$")
QUEUED_AS = re.compile(r"queued as (?P<qid>\w+)")
MAILDIR_NAME = re.compile(r"^(?P<sec>\d+)\.[^.]*M(?P<usec>\d+)[^.]*\.")


def mailbox_path(domain: str, user: str) -> str:
    """A mailbox's Maildir, relative to the server's mail directory."""
    return f"{domain}/{user}/"


@dataclass
class Attempt:
    """One delivery attempt of a message to one recipient."""

    to: str
    relay: str
    status: str            # sent, deferred, bounced
    reply: str
    delays: tuple[float, ...]   # Postfix's a/b/c/d: before qmgr, in qmgr, setup, transfer
    delay: float
    queued_as: str | None = None


@dataclass
class Message:
    """What one Postfix instance logged of one queue id."""

    qid: str
    client: str | None = None
    message_id: str | None = None
    sender: str | None = None
    size: int | None = None
    attempts: list[Attempt] = field(default_factory=list)
    removed: bool = False


def parse_log(text: str) -> dict:
    """The messages a Postfix log tells of (by queue id), and how many SMTP
    connections its server accepted. Its timestamps are to the second, so
    stage times come from each delivery's ``delays=``."""
    messages: dict[str, Message] = {}
    accepted = 0
    for line in text.splitlines():
        match = LOG_LINE.match(line)
        if not match:
            continue
        daemon, text_ = match["daemon"], match["text"]
        if daemon.endswith("smtpd") and text_.startswith("connect from "):
            accepted += 1
        queued = QUEUE_ID.match(text_)
        if not queued:
            continue
        message = messages.setdefault(queued["qid"], Message(queued["qid"]))
        rest = queued["rest"]
        fields = {k: v.strip("<>") for k, v in FIELD.findall(rest)}
        if rest == "removed":
            message.removed = True
        elif rest.startswith("client="):
            message.client = fields["client"]
        elif rest.startswith("message-id="):
            message.message_id = rest.split("=", 1)[1].strip("<>")
        elif rest.startswith("from="):
            message.sender = fields.get("from", "")
            message.size = int(fields["size"]) if "size" in fields else None
        elif "to" in fields and "status" in fields:
            status = STATUS.search(rest)
            queued_as = QUEUED_AS.search(status["reply"]) if status else None
            delays = tuple(float(d) for d in fields.get("delays", "0/0/0/0").split("/"))
            message.attempts.append(Attempt(
                to=fields["to"], relay=fields.get("relay", ""),
                status=status["status"] if status else fields["status"],
                reply=status["reply"] if status else "", delays=delays,
                delay=float(fields.get("delay", 0)),
                queued_as=queued_as["qid"] if queued_as else None))
    return {"messages": messages, "connections_accepted": accepted}


class PostfixMailServer(Role):
    role = "mail-server"
    packages = ("postfix",)
    packaged_units = ("postfix.service",)
    runtime_home = True   # its daemons run as postfix, deliveries as mail
    defaults = {"domain": None, "users": [], "password": "applab", "relay_domains": [],
                "pipelining": True, "queue_run_delay_s": 5, "minimal_backoff_s": 5,
                "maximal_backoff_s": 10, "destination_concurrency": 20}

    @staticmethod
    def param_problems(params: dict, spec) -> list[tuple[tuple, str]]:
        problems = []
        if not params.get("domain") and not params.get("relay_domains"):
            problems.append(((), "give domain (mailboxes here) or relay_domains "
                                 "(a backup MX), or both"))
        if params.get("users") and not params.get("domain"):
            problems.append((("users",), "users have mailboxes in a domain: give domain"))
        return problems + whole_number_problems(
            params, ("queue_run_delay_s", "minimal_backoff_s", "maximal_backoff_s",
                     "destination_concurrency"), at_least=1)

    def hostname(self, ctx: HostContext) -> str:
        name = ctx.names.name_of(ctx.host) if ctx.names else None
        return (name or ctx.host).rstrip(".")

    def owners(self, ctx: HostContext) -> dict[Path, str]:
        # Postfix makes its queue's subdirectories, but not the queue itself.
        return {ctx.path("spool"): "root", ctx.path("mail"): MAILBOX_USER}

    def config(self, ctx: HostContext) -> dict[Path, str]:
        p = self._params(ctx)
        mail = pwd.getpwnam(MAILBOX_USER)
        domain = p["domain"]
        files = {
            ctx.path("etc", "main.cf"): render(
                "postfix-main.cf.j2", ctx=ctx, hostname=self.hostname(ctx), domain=domain,
                relay_domains=p["relay_domains"], pipelining=p["pipelining"],
                clients=sorted(set(ctx.addresses.values())),
                mail_uid=mail.pw_uid, mail_gid=mail.pw_gid,
                queue_run_delay_s=p["queue_run_delay_s"], minimal_backoff_s=p["minimal_backoff_s"],
                maximal_backoff_s=p["maximal_backoff_s"],
                destination_concurrency=p["destination_concurrency"]),
            ctx.path("etc", "master.cf"): render("postfix-master.cf.j2", ctx=ctx),
        }
        if domain:
            files[ctx.path("mailboxes")] = "".join(
                f"{user}@{domain} {mailbox_path(domain, user)}\n" for user in p["users"])
            # The domain's users, for the IMAP server: passwd-file lines.
            files[ctx.path("users.passwd")] = "".join(
                f"{user}@{domain}:{{PLAIN}}{p['password']}:{mail.pw_uid}:{mail.pw_gid}::"
                f"{ctx.path('mail', mailbox_path(domain, user))}::\n" for user in p["users"])
        return files

    def command(self, ctx: HostContext) -> list[str]:
        # Postfix's master makes itself a session leader, out of reach of a
        # signal to the group it was started in, unless it runs as PID 1: so
        # it runs as PID 1 of a PID namespace of its own, and every daemon of
        # the instance ends with it, even after a SIGKILL.
        return ["unshare", "--pid", "--fork", "--kill-child=SIGTERM",
                "postfix", "-c", str(ctx.path("etc")), "start-fg"]

    def ready(self, ctx: HostContext, probe: Probe) -> bool:
        return probe.greeting(ctx.ip, SMTP_PORT).startswith("220")

    def metrics(self, ctx: HostContext) -> dict:
        log = ctx.path("postfix.log")
        parsed = parse_log(log.read_text(errors="replace")) if log.exists() else \
            {"messages": {}, "connections_accepted": 0}
        return {"hostname": self.hostname(ctx), "address": ctx.ip,
                "connections_accepted": parsed["connections_accepted"],
                "messages": {qid: asdict(m) for qid, m in parsed["messages"].items()},
                "mailbox": delivered(ctx.path("mail"))}


def delivered(mail: Path) -> dict[str, float]:
    """When each message (by Message-ID) was written into a mailbox here:
    Maildir names a file after its delivery time, seconds and microseconds
    ("1795982553.V801I2a0M575570.host")."""
    found = {}
    for path in mail.glob("*/*/*/*") if mail.is_dir() else []:
        stamp = MAILDIR_NAME.match(path.name)
        if not stamp or path.parent.name not in ("new", "cur"):
            continue
        with open(path, errors="replace") as handle:
            for line in handle:
                if not line.strip():
                    break
                if line.lower().startswith("message-id:"):
                    found[line.split(":", 1)[1].strip().strip("<>")] = \
                        int(stamp["sec"]) + int(stamp["usec"]) / 1e6
                    break
    return found
