"""email, as shipped (short versions): Postfix relays by MX, Dovecot serves
the mailbox, standard clients work, an outage loses nothing, and nothing of
either daemon outlives a run."""
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from orchestrator.emulation import state
from orchestrator.emulation.hold import HELD
from orchestrator.experiment import spec
from orchestrator.experiment.runner import run_experiment
from tests.integration.processes import (
    TEARDOWN_TIMEOUT_S,
    leftovers,
    wait_for_process,
)

SPEC = Path(__file__).resolve().parents[3] / "experiments" / "email.yaml"
# Every process a mail server or an IMAP server runs.
MAIL_DAEMONS = {"master", "qmgr", "pickup", "smtpd", "smtp", "cleanup", "trivial-rewrite",
                "postlogd", "virtual", "bounce", "anvil", "scache", "proxymap", "showq",
                "dovecot", "imap", "imap-login", "auth", "config", "log", "stats"}


def mail_daemons() -> list[str]:
    return [f"{p.info['name']} ({p.pid})" for p in psutil.process_iter(["name", "status"])
            if p.info["name"] in MAIL_DAEMONS and p.info["status"] != "zombie"]


def failed(results) -> list:
    return [(n, c.name, c.measured, c.predicted) for n, r in results.items()
            for c in r.checks if c.ok is False]


def no_runtime_homes_left() -> bool:
    return not state.RUNTIME_HOMES.is_dir() or not list(state.RUNTIME_HOMES.iterdir())


def test_one_message_crosses_by_mx_and_is_fetched_over_imap(tmp_path, clean_machine):
    run_dir, results = run_experiment(spec.load(SPEC, only=["dialogue"]), tmp_path)
    assert failed(results) == []
    result = results["dialogue"]
    [sent] = result.run.rows("alice")
    [fetched] = result.run.rows("bob")
    for key in ("message_id", "from", "to", "subject", "date", "digest"):
        assert fetched[key] == sent[key], key
    assert result.details["path"] == ["mail.crepes.fr", "mail.hamburger.edu"]
    # Alice's server found Bob's through the emulated DNS: it asked for the MX.
    resolver_log = run_dir / "dialogue" / "hosts" / "local-dns" / "local-dns" / "unbound.log"
    assert re.search(r"info: [\d.]+ hamburger\.edu\. MX IN", resolver_log.read_text())
    assert result.details["dialogue"]["tokens"][:3] == ["220", "HELO", "250"]
    assert mail_daemons() == [] and no_runtime_homes_left()


def test_the_mail_servers_work_as_containers(tmp_path, clean_machine):
    """Postfix and Dovecot from the mail image, inside both mail hosts."""
    _, results = run_experiment(spec.load(SPEC, only=["end-to-end-containers"]), tmp_path)
    assert failed(results) == []
    result = results["end-to-end-containers"]
    assert set(result.run.containers) == {"crp-mail", "hmb-mail"}
    assert result.run.containers["crp-mail"].startswith("applab/mail:")
    assert mail_daemons() == [] and no_runtime_homes_left()


def shortened_outage(tmp_path) -> Path:
    """The outage scenario at a third of its length: 4 messages while Bob's
    server is down for 7 s."""
    text = SPEC.read_text()
    for old, new in (("    duration_s: 40\n    events:\n      - {at: 1, service: hmb-mta, "
                      "action: stop, label: \"Bob's server stops\"}\n      - {at: 21,",
                      "    duration_s: 12\n    events:\n      - {at: 1, service: hmb-mta, "
                      "action: stop, label: \"Bob's server stops\"}\n      - {at: 8,"),
                     ("params: {messages: 10, interval_s: 1}}\n      bob: {params: {expect: 10}}",
                      "params: {messages: 4, interval_s: 1}}\n      bob: {params: {expect: 4}}")):
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "email.yaml"
    path.write_text(text)
    return path


def test_an_outage_delays_mail_and_loses_none(tmp_path, clean_machine):
    _, results = run_experiment(spec.load(shortened_outage(tmp_path), only=["outage"]),
                                tmp_path / "out")
    assert failed(results) == []
    result = results["outage"]
    measured = {q.name: q.measured for q in result.quantities}
    assert (measured["messages_delivered"], measured["duplicates"]) == (4, 0)
    assert measured["queue_peak"] == 4
    # Each message was refused at least once, then sent: Postfix retried.
    assert all(row["attempts"] >= 2 for row in result.details["tables"]["messages"])
    assert "Connection refused" in result.details["queue_listing"]
    assert mail_daemons() == [] and no_runtime_homes_left()


def test_standard_clients_send_and_read_through_the_servers(tmp_path, clean_machine, applab):
    run = applab("run", str(SPEC), "--scenario", "pipelined", "--out", str(tmp_path), "--hold")
    deadline = time.monotonic() + 120
    while not HELD.exists():
        assert run.poll() is None, run.communicate()
        assert time.monotonic() < deadline, "the run never held"
        time.sleep(0.2)
    interfaces = json.loads(HELD.read_text())["interfaces"]
    crp_mail, hmb_mail = interfaces["crp-mail"][0][1], interfaces["hmb-mail"][0][1]

    def inside(host, *command):
        return subprocess.run([sys.executable, "-m", "orchestrator.cli", "exec", host, "--",
                               *command], capture_output=True, text=True, timeout=60,
                              check=False)

    swaks = inside("alice", "swaks", "--server", crp_mail, "--from", "alice@crepes.fr",
                   "--to", "bob@hamburger.edu", "--header", "Subject: sent with swaks")
    assert swaks.returncode == 0, swaks.stdout + swaks.stderr
    assert "250 2.0.0 Ok: queued as" in swaks.stdout
    found = ""
    for _ in range(50):  # relayed through the MX, then in Bob's mailbox
        found = inside("bob", "curl", "-s", "-u", "bob@hamburger.edu:applab",
                       f"imap://{hmb_mail}/INBOX", "-X", "SEARCH SUBJECT swaks").stdout
        if re.search(r"SEARCH \d", found):
            break
        time.sleep(0.2)
    assert re.search(r"SEARCH \d", found), found
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=TEARDOWN_TIMEOUT_S + 30)
    assert run.returncode == 0, err
    assert leftovers() == [] and mail_daemons() == [] and no_runtime_homes_left()


def test_ctrl_c_during_a_mail_run_leaves_nothing(tmp_path, clean_machine, applab):
    run = applab("run", str(SPEC), "--scenario", "flapping", "--out", str(tmp_path))
    wait_for_process("services.mail.user read", timeout=90)
    time.sleep(2)
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=TEARDOWN_TIMEOUT_S)
    assert run.returncode == 130, err
    assert leftovers() == [] and mail_daemons() == [] and no_runtime_homes_left()
