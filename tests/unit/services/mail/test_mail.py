"""Mail roles: configs two instances never share a path in, Postfix's log
and Maildir read back, the user agents' messages and address checks."""
import re
from email import policy
from email.parser import BytesParser

import pytest

from orchestrator.experiment import spec
from services.base import HostContext
from services.mail.imap import DovecotImap
from services.mail.queue import MailQueueWatch
from services.mail.server import PostfixMailServer, delivered, parse_log
from services.mail.user import MailReader, MailSender, addresses_problems, body_digest, compose
from tests.paths import REPO

EMAIL = REPO / "experiments" / "email.yaml"
ABSOLUTE_PATH = re.compile(r"(?<![\w.])/[\w./-]+")


def ctx(tmp_path, name, host, ip, params, homes=None):
    return HostContext(name=name, host=host, ip=ip, home=tmp_path / host / name,
                       params=params, addresses={"crp-mail": "10.0.1.8", "hmb-mail": "10.0.2.4",
                                                 "alice": "10.0.1.2"},
                       services={"crp-mta": "crp-mail", "hmb-mta": "hmb-mail"},
                       homes=homes or {})


def rendered_paths(files: dict) -> set[str]:
    return {p for text in files.values() for p in ABSOLUTE_PATH.findall(text)}


def test_two_mail_servers_and_their_imap_servers_never_share_a_path(tmp_path):
    server = PostfixMailServer()
    crp = ctx(tmp_path, "crp-mta", "crp-mail", "10.0.1.8",
              {"domain": "crepes.fr", "users": ["alice"]})
    hmb = ctx(tmp_path, "hmb-mta", "hmb-mail", "10.0.2.4",
              {"domain": "hamburger.edu", "users": ["bob"], "pipelining": False})
    homes = {"crp-mta": crp.home, "hmb-mta": hmb.home}
    crp_imap = ctx(tmp_path, "crp-imap", "crp-mail", "10.0.1.8", {"mta": "crp-mta"}, homes)
    hmb_imap = ctx(tmp_path, "hmb-imap", "hmb-mail", "10.0.2.4", {"mta": "hmb-mta"}, homes)
    own = {}
    for c, role in ((crp, server), (hmb, server), (crp_imap, DovecotImap()),
                    (hmb_imap, DovecotImap())):
        files = role.config(c)
        paths = rendered_paths(files) | {str(p) for p in files}
        # Everything an instance writes is in its own home; an IMAP server
        # also reads its mail server's user list and mailboxes.
        allowed = [c.home] + ([homes[c.params["mta"]]] if "mta" in c.params else [])
        assert all(any(p.startswith(str(h)) for h in allowed) for p in paths), paths
        own[c.name] = {p for p in paths if p.startswith(str(c.home))}
    names = list(own)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not own[a] & own[b], (a, b)


def test_a_mail_server_config_relays_by_mx_and_holds_its_mailboxes(tmp_path):
    c = ctx(tmp_path, "hmb-mta", "hmb-mail", "10.0.2.4",
            {"domain": "hamburger.edu", "users": ["bob"], "pipelining": False,
             "queue_run_delay_s": 3})
    files = PostfixMailServer().config(c)
    main = files[c.path("etc", "main.cf")]
    assert "virtual_mailbox_domains = hamburger.edu" in main
    assert "smtpd_discard_ehlo_keywords = pipelining" in main
    assert "queue_run_delay = 3s" in main and "inet_protocols = ipv4" in main
    assert "transport_maps" not in main and "relayhost" not in main  # MX lookups only
    assert files[c.path("mailboxes")] == "bob@hamburger.edu hamburger.edu/bob/\n"
    assert files[c.path("users.passwd")].startswith("bob@hamburger.edu:{PLAIN}applab:")
    master = files[c.path("etc", "master.cf")]
    assert all(line.split()[4] == "n" for line in master.splitlines()
               if line and not line.startswith("#"))  # chroot off everywhere
    assert PostfixMailServer().command(c)[:3] == ["unshare", "--pid", "--fork"]


def test_a_backup_mx_relays_its_domains_and_holds_no_mailbox(tmp_path):
    c = ctx(tmp_path, "hmb-backup", "hmb-mx2", "10.0.2.5",
            {"relay_domains": ["hamburger.edu"]})
    files = PostfixMailServer().config(c)
    main = files[c.path("etc", "main.cf")]
    assert "relay_domains = hamburger.edu" in main and "virtual_mailbox" not in main
    assert c.path("mailboxes") not in files


def test_mail_server_parameters_are_checked():
    bad = PostfixMailServer.param_problems({"users": ["bob"], "queue_run_delay_s": 0}, None)
    fields = [where for where, _ in bad]
    assert () in fields and ("users",) in fields and ("queue_run_delay_s",) in fields


POSTFIX_LOG = "".join(line + "\n" for line in [
    'Nov 29 20:02:33 mail postfix/smtpd[123]: connect from unknown[10.0.1.2]',
    'Nov 29 20:02:33 mail postfix/smtpd[123]: 264D016E467: client=unknown[10.0.1.2]',
    'Nov 29 20:02:33 mail postfix/cleanup[126]: 264D016E467: message-id=<alice.1@crepes.fr>',
    'Nov 29 20:02:33 mail postfix/qmgr[121]: 264D016E467: from=<alice@crepes.fr>, size=448'
    ', nrcpt=1 (queue active)',
    'Nov 29 20:02:38 mail postfix/smtp[127]: 264D016E467: to=<bob@hamburger.edu>, '
    'relay=none, delay=5, delays=0/0/5/0, dsn=4.4.1, status=deferred (connect to '
    'mail.hamburger.edu[10.0.2.4]:25: Connection refused)',
    'Nov 29 20:02:48 mail postfix/smtp[127]: 264D016E467: to=<bob@hamburger.edu>, '
    'relay=mail.hamburger.edu[10.0.2.4]:25, delay=15, delays=15/0.01/0.43/0.13, '
    'dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9DE0316E46F)',
    'Nov 29 20:02:48 mail postfix/qmgr[121]: 264D016E467: removed',
])


def test_postfix_log_gives_each_message_its_attempts_and_next_queue_id():
    parsed = parse_log(POSTFIX_LOG)
    message = parsed["messages"]["264D016E467"]
    assert parsed["connections_accepted"] == 1
    assert message.message_id == "alice.1@crepes.fr" and message.size == 448
    assert [a.status for a in message.attempts] == ["deferred", "sent"]
    assert message.attempts[1].delays == (15, 0.01, 0.43, 0.13)
    assert message.attempts[1].queued_as == "9DE0316E46F" and message.removed


def test_maildir_names_give_delivery_times(tmp_path):
    new = tmp_path / "hamburger.edu" / "bob" / "new"
    new.mkdir(parents=True)
    (new / "1795982553.V801I2a0M575570.mail.hamburger.edu").write_text(
        "Received: x\nMessage-ID: <alice.1@crepes.fr>\n\nbody\nMessage-ID: <not.this>\n")
    assert delivered(tmp_path) == {"alice.1@crepes.fr": pytest.approx(1795982553.57557)}


def sender_config(**overrides):
    return {"from": "alice@crepes.fr", "subject": "hello", "size_bytes": 0,
            "id_stem": "alice.alice.1", "id_domain": "crepes.fr", **overrides}


def test_a_message_is_seven_bit_with_the_textbook_headers_and_its_size():
    message = compose(sender_config(size_bytes=5000), 3, ["bob@hamburger.edu"])
    data = message.as_bytes()
    assert all(b < 128 for b in data) and b"\r\n" in data
    parsed = BytesParser(policy=policy.default).parsebytes(data)
    for header in ("From", "To", "Subject", "Date", "Message-ID"):
        assert parsed[header]
    assert parsed["Message-ID"] == "<alice.alice.1.3@crepes.fr>"
    assert 5000 <= len(parsed.get_body().get_content()) < 5000 + 80


def test_a_body_digest_ignores_line_endings_only():
    assert body_digest("a\r\nb\r\n") == body_digest("a\nb\n") != body_digest("a\nc\n")


def test_addresses_must_name_mailboxes_the_spec_defines():
    email_spec = spec.load(EMAIL).scenarios["end-to-end"]
    ok = {"server": "crp-mta", "from": "alice@crepes.fr", "to": ["bob@hamburger.edu"],
          "bounce_to": ["nobody@hamburger.edu"]}
    assert MailSender.param_problems(ok, email_spec) == []
    bad = MailSender.param_problems(
        {**ok, "to": ["bob@hamburger.com", "rob@hamburger.edu"],
         "bounce_to": ["bob@hamburger.edu"]},
        email_spec)
    assert [where for where, _ in bad] == [("to", 0), ("to", 1), ("bounce_to", 0)]
    assert "no mail-server holds the domain 'hamburger.com'" in bad[0][1]
    assert addresses_problems({"user": "bob"}, email_spec, ("user",), True)[0][0] == ("user",)
    assert MailReader.param_problems({"server": "hmb-mta", "user": "bob@hamburger.edu"},
                                     email_spec)[0][0] == ("server",)
    assert MailQueueWatch.param_problems({"mta": "hmb-imap"}, email_spec)[0][0] == ("mta",)


@pytest.mark.parametrize("version, present, absent", [
    ((2, 3), ["disable_plaintext_auth = no", "mail_location = maildir:~",
              "args = scheme=PLAIN username_format=%u"],
     ["dovecot_config_version", "auth_allow_cleartext", "passwd_file_path"]),
    ((2, 4), ["auth_allow_cleartext = yes", "mail_driver = maildir", "mail_path = ~",
              "passdb passwd-file {", "default_password_scheme = PLAIN"],
     ["disable_plaintext_auth", "mail_location", "args ="]),
])
def test_dovecot_gets_the_settings_of_its_own_version(tmp_path, monkeypatch, version, present,
                                                      absent):
    from services.mail import imap

    monkeypatch.setattr(imap, "dovecot_version", lambda: version)
    mta = ctx(tmp_path, "hmb-mta", "hmb-mail", "10.0.2.4", {"domain": "hamburger.edu"})
    c = ctx(tmp_path, "hmb-imap", "hmb-mail", "10.0.2.4", {"mta": "hmb-mta"},
            {"hmb-mta": mta.home})
    (conf,) = DovecotImap().config(c).values()
    lines = conf.splitlines()
    if version >= (2, 4):   # it must come first
        assert lines[0] == "dovecot_config_version = 2.4.0"
    for text in present:
        assert text in conf, text
    for text in absent:
        assert text not in conf, text


def test_the_dovecot_here_is_read_for_its_version():
    from services.mail.imap import dovecot_version

    major, minor = dovecot_version()
    assert (major, minor) >= (2, 3)
