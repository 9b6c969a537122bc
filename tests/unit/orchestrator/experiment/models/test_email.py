"""The e-mail model on made-up runs of the shipped spec: delivery counted
once per message with its headers unchanged, the way a message took from
its Received: lines, and the retry bound after an outage."""
import pytest

from orchestrator.experiment import spec
from orchestrator.experiment.models import email
from orchestrator.experiment.models.base import Quantity
from orchestrator.experiment.result import EventKind, EventRecord, RunResult, WorkloadRun
from services.mail.server import PostfixMailServer
from tests.paths import EXPERIMENTS

START = 1000.0
RECEIVED = ("from mail.crepes.fr by mail.hamburger.edu (Postfix) | "
            "from alice by mail.crepes.fr (Postfix)")


@pytest.fixture(scope="module")
def experiment():
    return spec.load(EXPERIMENTS / "email.yaml", only=["end-to-end", "outage"])


def sent(n: int, at: float, bounce: bool = False) -> dict:
    return {"n": n, "message_id": f"<{n}@crepes.fr>", "from": "alice@crepes.fr",
            "to": "nobody@hamburger.edu" if bounce else "bob@hamburger.edu",
            "subject": f"message {n}", "date": "Sun, 6 Dec 2026", "bounce_expected":
            "1" if bounce else "0", "submit_start": at - 0.01, "submit_end": at,
            "submit_s": 0.01, "queue_id": f"Q{n}", "digest": f"d{n}"}


def fetched(row: dict, at: float, **changed) -> dict:
    return {**{k: row[k] for k in ("message_id", "from", "to", "subject", "date", "digest")},
            "fetched": at, "received": RECEIVED, "bounce_of": "", **changed}


def run_of(workloads: dict[str, tuple[str, list[dict]]], events=(), duration=10) -> RunResult:
    return RunResult(
        realizer="relay", window=(START, START + duration),
        workloads={name: WorkloadRun(name, role, [], rows)
                   for name, (role, rows) in workloads.items()},
        services={}, links={}, events=list(events),
        addresses={"crp-mail": "10.0.1.8", "hmb-mail": "10.0.2.3"}, link_params={},
        link_stats={}, pcaps=[])


def by_name(found: list[Quantity]) -> dict[str, Quantity]:
    return {q.name: q for q in found}


def test_every_message_is_fetched_once_with_its_headers_and_its_bounce_returned(experiment):
    messages = [sent(n, START + n) for n in range(3)]
    bounce = sent(9, START + 4, bounce=True)
    run = run_of({
        "alice": ("mail-sender", [*messages, bounce]),
        "bob": ("mail-reader", [fetched(m, START + 5 + m["n"]) for m in messages]),
        "alice-inbox": ("mail-reader", [{**fetched(bounce, START + 6), "message_id": "<nd>",
                                         "bounce_of": bounce["message_id"]}])})
    found, details = email.quantities(experiment.scenarios["end-to-end"], run)
    q = by_name(found)
    assert (q["messages_delivered"].measured, q["messages_delivered"].predicted) == (3, 3)
    assert q["messages_lost"].measured == 0 and q["duplicates"].measured == 0
    assert q["headers_identical"].measured == 1.0
    assert (q["bounces_returned"].measured, q["bounces_returned"].predicted) == (1, 1)
    assert (q["received_hops"].measured, q["received_hops"].predicted) == (2, 2)
    assert details["path"] == ["mail.crepes.fr", "mail.hamburger.edu"]


def test_a_lost_message_a_second_fetch_and_a_changed_subject_are_each_counted(experiment):
    messages = [sent(n, START + n) for n in range(4)]
    reader = [fetched(messages[0], START + 5), fetched(messages[0], START + 6),
              fetched(messages[1], START + 7, subject="changed"), fetched(messages[2], START + 8)]
    run = run_of({"alice": ("mail-sender", messages), "bob": ("mail-reader", reader),
                  "alice-inbox": ("mail-reader", [])})
    q = by_name(email.quantities(experiment.scenarios["end-to-end"], run)[0])
    assert q["messages_delivered"].measured == 3 and q["messages_lost"].measured == 1
    assert q["duplicates"].measured == 1
    assert q["headers_identical"].measured == pytest.approx(2 / 3)


def test_the_mail_of_an_outage_waits_at_most_a_queue_scan_a_backoff_and_a_relay(experiment):
    scenario = experiment.scenarios["outage"]
    stop = EventRecord(1, EventKind.SERVICE_STOP, "hmb-mta", happened_s=1.0)
    start = EventRecord(21, EventKind.SERVICE_START, "hmb-mta", happened_s=21.0)
    messages = [sent(n, START + 2 + n) for n in range(10)]
    waited = [3.0 + 0.5 * n for n in range(10)]      # after the outage's end at 21 s
    queue = [{"time": START + t, "total": min(t - 1, 10) if 2 <= t <= 21 else 0,
              "listing": ""} for t in range(40)]
    run = run_of({"alice": ("mail-sender", messages),
                  "bob": ("mail-reader", [fetched(m, START + 21 + w)
                                          for m, w in zip(messages, waited, strict=True)]),
                  "queue": ("mail-queue", queue)}, events=[stop, start], duration=40)
    found, details = email.quantities(scenario, run)
    q = by_name(found)
    assert (q["queue_peak"].measured, q["queue_peak"].predicted) == (10, 10)
    defaults = PostfixMailServer.defaults
    params = {**defaults, **scenario.services["crp-mta"].params}
    # The relay: the round trips of a pipelined dialogue over the 60 ms hop.
    relay = details["retry_model"]["relay_s"]
    assert relay == pytest.approx(len(email.round_trips(True)) * 0.060)
    bound = params["queue_run_delay_s"] + params["maximal_backoff_s"] + relay
    assert q["retry_wait"].measured == pytest.approx(max(waited))
    assert q["retry_wait"].predicted == pytest.approx(bound)
    assert q["retry_wait_share"].measured == pytest.approx(max(waited) / bound)


def test_the_received_lines_give_the_way_first_hop_first():
    assert email.received_path(RECEIVED) == ["mail.crepes.fr", "mail.hamburger.edu"]
    assert email.received_path("from x with ESMTP") == []
