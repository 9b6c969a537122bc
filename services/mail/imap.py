"""Dovecot as the IMAP server of a mail domain: it serves the mailboxes its
mail server (``mta``, a mail-server service on the same host) delivers to,
with that server's users and passwords."""
from __future__ import annotations

import functools
import pwd
import re
import subprocess
from pathlib import Path

from services.base import HostContext, Probe, Role, service_role_problems
from services.mail.server import MAILBOX_USER
from services.templates import render

IMAP_PORT = 143
# Dovecot 2.4 (Debian 13) refuses 2.3's settings (Debian 12), and the other way round.
SETTINGS_CHANGED_IN = (2, 4)


@functools.cache
def dovecot_version() -> tuple[int, int]:
    """The installed Dovecot's major and minor version ("2.3.19.1 (9b53102964)")."""
    out = subprocess.run(["dovecot", "--version"], capture_output=True, text=True,
                         check=True).stdout
    match = re.match(r"(\d+)\.(\d+)", out)
    if not match:
        raise RuntimeError(f"dovecot --version said {out.strip()!r}")
    return int(match[1]), int(match[2])


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
            mail_uid=pwd.getpwnam(MAILBOX_USER).pw_uid,
            v24=dovecot_version() >= SETTINGS_CHANGED_IN)}

    def command(self, ctx: HostContext) -> list[str]:
        return ["dovecot", "-F", "-c", str(ctx.path("dovecot.conf"))]

    def ready(self, ctx: HostContext, probe: Probe) -> bool:
        return probe.greeting(ctx.ip, IMAP_PORT).startswith("* OK")

    def metrics(self, ctx: HostContext) -> dict:
        log = ctx.path("dovecot.log")
        text = log.read_text(errors="replace") if log.exists() else ""
        return {"logins": text.count("imap-login: Login:")}
