"""Dovecot as the IMAP server of a mail domain: it serves the mailboxes its
mail server (``mta``, a mail-server service on the same host) delivers to,
with that server's users and passwords."""
from __future__ import annotations

import pwd
from pathlib import Path

from services.base import HostContext, Probe, Role, service_role_problems
from services.mail.server import MAILBOX_USER
from services.templates import render

IMAP_PORT = 143


class DovecotImap(Role):
    role = "imap-server"
    packages = ("dovecot-imapd",)
    packaged_units = ("dovecot.service", "dovecot.socket")
    runtime_home = True   # its login and mail processes drop to their users
    defaults = {"mta": None}
    service_refs = ("mta",)

    @staticmethod
    def param_problems(params: dict, spec) -> list[tuple[tuple, str]]:
        wrong = service_role_problems(params, spec, "mta", "mail-server",
                                      "whose mailboxes this serves")
        if wrong:
            return wrong
        if not spec.services[params["mta"]].params.get("domain"):
            return [(("mta",), f"{params['mta']!r} is not a mail-server with mailboxes "
                              "(a domain)")]
        return []

    def config(self, ctx: HostContext) -> dict[Path, str]:
        mta = ctx.params["mta"]
        name = ctx.names.name_of(ctx.host) if ctx.names else None
        return {ctx.path("dovecot.conf"): render(
            "dovecot.conf.j2", ctx=ctx, mta=mta, users=ctx.homes[mta] / "users.passwd",
            hostname=(name or ctx.host).rstrip("."),
            instance="applab-" + "".join(c for c in ctx.host if c.isalnum()),
            mail_uid=pwd.getpwnam(MAILBOX_USER).pw_uid)}

    def command(self, ctx: HostContext) -> list[str]:
        return ["dovecot", "-F", "-c", str(ctx.path("dovecot.conf"))]

    def ready(self, ctx: HostContext, probe: Probe) -> bool:
        return probe.greeting(ctx.ip, IMAP_PORT).startswith("* OK")

    def metrics(self, ctx: HostContext) -> dict:
        log = ctx.path("dovecot.log")
        text = log.read_text(errors="replace") if log.exists() else ""
        return {"logins": text.count("imap-login: Login:")}
