"""E-mail: a message's way from Alice's user agent to Bob's, and the SMTP
exchange between the mail servers.

- Every message sent is fetched once, with the headers and body it left with;
  one to a user that does not exist comes back to its sender as a bounce.
- Its way shows in its ``Received:`` lines: the sender's server, then the
  recipient's (through the backup MX when the preferred one is down).
- Relaying one message costs round trips of the hop (``smtp_dialogue.round_trips``):
  connect, banner, EHLO, MAIL, each RCPT, DATA and the message, each waiting
  for its reply without PIPELINING; with it MAIL, RCPT and DATA share one.
  The time to the server's acceptance is those RTTs plus the message's
  transmission at the path's bottleneck, L/R.
- Mail for a server that is down waits in the sender's queue and is retried:
  a deferred message is tried again at the first queue scan (every
  ``queue_run_delay``) after its backoff (at most ``maximal_backoff_time``),
  so it arrives at most their sum after the outage ends (plus one relay).

Measurements come from the agents' logs (submission, fetch), the servers'
logs (queue ids, ``delays=``), the queue watch and a capture of the relay hop.
"""
from __future__ import annotations

import re
import statistics
from pathlib import Path

from orchestrator.experiment.models.base import Quantity, Requires
from orchestrator.experiment.models.smtp_dialogue import (
    SLIDE_DIALOGUE,
    Dialogue,
    decode,
    exchange_table,
    round_trips,
)
from orchestrator.experiment.plots import ScenarioPlot, mark_events
from orchestrator.experiment.result import EventKind
from services.mail.queue import MailQueueWatch
from services.mail.server import PostfixMailServer
from services.mail.user import MailReader, MailSender
from services.web.http_wire import wire_bytes

CHECKS = ("messages_delivered", "messages_lost", "duplicates", "headers_identical",
          "bounces_returned", "received_hops", "dialogue_matches_slide", "relay_round_trips",
          "relay_time", "relay_connections", "messages_per_connection",
          "seven_bit_crlf_dot", "queue_peak", "retry_wait", "retry_wait_share",
          "throughput", "batch_transfer_time")
REQUIRES = Requires(workload_roles=())
HEADER_KEYS = ("from", "to", "subject", "date", "digest")
RECEIVED_BY = re.compile(r"\bby (\S+)")


def quantities(spec, run) -> tuple[list[Quantity], dict]:
    world = MailWorld(spec, run)
    found: list[Quantity] = []
    details: dict = {}
    found += world.delivery(details)
    found += world.dialogue(details)
    found += world.outage(details)
    return found, details


class MailWorld:
    """What a run of the e-mail experiment shows, read once."""

    def __init__(self, spec, run):
        self.spec, self.run = spec, run
        self.topo = spec.topology.build()
        roles = {name: w.role for name, w in spec.all_workloads.items()}
        self.sent = [r for name, w in run.workloads.items() if roles[name] == MailSender.role
                     for r in w.rows]
        self.fetched = [r for name, w in run.workloads.items() if roles[name] == MailReader.role
                        for r in w.rows]
        self.queue = [r for name, w in run.workloads.items() if roles[name] == MailQueueWatch.role
                      for r in w.rows]
        self.servers = {name: s for name, s in spec.services.items()
                        if s.role == PostfixMailServer.role}
        self.host_of_address = {ip: host for host, ip in run.addresses.items()}
        self.logs = {name: run.services.get(name, {}).get("messages", {})
                     for name in self.servers}
        self.dialogues = _unique([d for pcap in run.pcaps for d in decode(Path(pcap).read_bytes())])
        server_addresses = {run.addresses[s.host] for s in self.servers.values()}
        self.relays = [d for d in self.dialogues
                       if d.client in server_addresses and d.server in server_addresses]

    # Delivery: every message fetched once, unchanged, by its way

    def delivery(self, details: dict) -> list[Quantity]:
        normal = {r["message_id"]: r for r in self.sent if r["bounce_expected"] == "0"}
        bounced = {r["message_id"] for r in self.sent if r["bounce_expected"] == "1"}
        fetched = [r for r in self.fetched if r["message_id"] in normal]
        distinct = {r["message_id"]: r for r in fetched}
        same = [mid for mid, r in distinct.items()
                if all(r[k] == normal[mid][k] for k in HEADER_KEYS)]
        returned = {r["bounce_of"] for r in self.fetched if r["bounce_of"] in bounced}
        stages = [self.stages(normal[mid], row) for mid, row in distinct.items()]
        details["tables"] = {"messages": stages}   # messages.csv: each message's way
        details["fetched_s"] = [float(r["fetched"]) - self.run.window[0]
                                for r in distinct.values()]
        details["bounces"] = sorted(returned)
        first = min(distinct.values(), key=lambda r: float(r["fetched"]), default=None)
        path = received_path(first["received"]) if first else []
        details["received"] = first["received"].split(" | ") if first else []
        details["path"] = path
        detour = self.detour_expected(normal[first["message_id"]]) if first else False
        sent_n = len(normal)
        quantities = [
            Quantity("messages_delivered", float(len(distinct)), float(sent_n), "messages",
                     "messages sent (bounces aside) and fetched over IMAP, each counted once"),
            Quantity("messages_lost", float(sent_n - len(distinct)), 0.0, "messages",
                     "messages sent and never fetched: a queue keeps mail until it is delivered"),
            Quantity("duplicates", float(len(fetched) - len(distinct)), 0.0, "messages",
                     "fetches of a message already fetched: each is delivered exactly once"),
            Quantity("headers_identical", len(same) / len(distinct) if distinct else None, 1.0,
                     "", "share fetched with the From, To, Subject, Date, Message-ID and body "
                     "digest they were sent with"),
            Quantity("received_hops", float(len(details["received"])) if first else None,
                     3.0 if detour else 2.0, "hops",
                     "Received: lines of the first message: the sender's server, "
                     + ("the backup MX (the preferred MX was down), " if detour else "")
                     + "the recipient's server"),
        ]
        if bounced:
            quantities.append(Quantity(
                "bounces_returned", float(len(returned)), float(len(bounced)), "messages",
                "messages to a user the domain does not have, returned to the sender's "
                "mailbox as a non-delivery notice"))
        for stage in ("submission_s", "queue_s", "relay_s", "delivery_s", "imap_s"):
            values = [s[stage] for s in stages if s.get(stage) is not None]
            quantities.append(Quantity(
                f"mean_{stage[:-2]}", statistics.fmean(values) if values else None, None, "s",
                STAGE_TEXT[stage]))
        if self.fetched and self.sent:
            start = min(float(r["submit_start"]) for r in self.sent)
            end = max(float(r["fetched"]) for r in self.fetched)
            quantities.append(Quantity(
                "throughput", len(distinct) / (end - start) if end > start else None, None,
                "messages/s", "messages fetched per second, first submission to last fetch"))
        return quantities

    def chain(self, server: str, qid: str) -> list[tuple[str, dict, dict]]:
        """The message's hops: (server, its log of the message, the attempt that
        passed it on or delivered it), following "queued as"."""
        hops = []
        while server and qid in self.logs.get(server, {}):
            record = self.logs[server][qid]
            done = next((a for a in record["attempts"] if a["status"] == "sent"), None)
            hops.append((server, record, done))
            if done is None or not done["queued_as"]:
                break
            relay_host = self.host_of_address.get(_relay_address(done["relay"]))
            server = next((n for n, s in self.servers.items() if s.host == relay_host), None)
            qid = done["queued_as"]
        return hops

    def stages(self, sent: dict, fetched: dict) -> dict:
        """Seconds of each stage of one message: the agent's submission, the
        queues (Postfix's delays a+b at each server), the relays (c+d), the
        delivery into the mailbox, and the reader's fetch after it."""
        first = next((n for n, s in self.servers.items()
                      if sent["queue_id"] in self.logs.get(n, {})), None)
        hops = self.chain(first, sent["queue_id"]) if first else []
        row = {"message_id": sent["message_id"], "from": sent["from"], "to": sent["to"],
               "digest": sent["digest"], "queue_id": sent["queue_id"],
               "submitted": float(sent["submit_end"]), "fetched": float(fetched["fetched"]),
               "submission_s": float(sent["submit_s"]), "hops": " ".join(h[0] for h in hops),
               "attempts": sum(len(h[1]["attempts"]) for h in hops)}
        done = [h[2] for h in hops if h[2] is not None]
        if not hops or len(done) < len(hops) or done[-1]["relay"] != "virtual":
            return row
        relayed = done[:-1]
        row["queue_s"] = sum(a["delays"][0] + a["delays"][1] for a in relayed)
        row["relay_s"] = sum(a["delays"][2] + a["delays"][3] for a in relayed)
        # The last server's time before its queue manager overlaps the relay
        # (it counts the transfer): its delivery is from the queue manager on.
        row["delivery_s"] = sum(done[-1]["delays"][1:])
        in_mailbox = self.run.services.get(hops[-1][0], {}).get("mailbox", {}).get(
            sent["message_id"])
        if in_mailbox is not None:
            row["delivered"] = in_mailbox
            row["imap_s"] = float(fetched["fetched"]) - in_mailbox
        return row

    def detour_expected(self, sent: dict) -> bool:
        """The message was submitted while its domain's mailbox server was
        down and a backup MX for the domain was up."""
        domain = sent["to"].split(",")[0].strip().partition("@")[2]
        holder = next((n for n, s in self.servers.items()
                       if s.params.get("domain") == domain), None)
        backup = any(domain in s.params.get("relay_domains", []) for s in self.servers.values())
        when = float(sent["submit_end"])
        return backup and any(start <= when <= end for start, end in self.outages(holder))

    def outages(self, service: str | None) -> list[tuple[float, float]]:
        """Wall-clock intervals during which ``service`` was stopped."""
        t0 = self.run.window[0]
        intervals, down_since = [], None
        for event in sorted(self.run.events, key=lambda e: e.happened_s or 0):
            if event.target != service or event.happened_s is None:
                continue
            if event.kind.stops_a_service:
                down_since = t0 + event.happened_s
            elif event.kind == EventKind.SERVICE_START and down_since is not None:
                intervals.append((down_since, t0 + event.happened_s))
                down_since = None
        if down_since is not None:
            intervals.append((down_since, float("inf")))
        return intervals

    # The dialogue between the servers, and its round trips

    def dialogue(self, details: dict) -> list[Quantity]:
        carried = [d for d in self.relays if d.messages]
        if not carried:
            return []
        first = carried[0]  # a connection refused by a stopped server carried nothing
        client_host = self.host_of_address[first.client]
        server_host = self.host_of_address[first.server]
        receiver = next(s for s in self.servers.values() if s.host == server_host)
        pipelining = bool(receiver.params.get("pipelining", True))
        recipients = sum(1 for t in first.tokens() if t == "RCPT TO") // max(first.messages, 1)
        exchanges = round_trips(pipelining, max(recipients, 1))
        rtt_s = self.topo.rttMs(client_host, server_host) / 1000
        rate = self.topo.rateMbps(client_host, server_host)
        first_bytes = first.content_bytes[0] if first.content_bytes else 0
        # Links shape whole frames: the content with its segments' headers.
        transmit_s = 8 * wire_bytes(first_bytes) / (rate * 1e6) if rate else 0.0
        table = exchange_table(first)
        through_message = next((i + 1 for i, row in enumerate(table) if "." in row["sent"]),
                               None)
        single = first.messages == 1
        details["dialogue"] = {
            "client": client_host, "server": server_host, "pipelining": pipelining,
            "transcript": first.transcript(), "tokens": first.tokens(),
            "lines": [(round(1000 * (line.time - first.syn), 1), line.side, line.text)
                      for line in first.lines_by_token()],
            "exchanges": table, "model": exchanges, "rtt_ms": 1000 * rtt_s}
        connections = [d for d in carried if d.client == first.client
                       and d.server == first.server]
        messages = sum(d.messages for d in connections)
        found = [
            Quantity("dialogue_matches_slide", float(tuple(first.tokens()) == SLIDE_DIALOGUE)
                     if single else None, 0.0 if pipelining else 1.0, "",
                     "the relay's commands and replies in the slide's order (EHLO for HELO); "
                     + ("with PIPELINING, MAIL, RCPT and DATA go before their replies, so "
                        "the order differs" if pipelining else "without PIPELINING each "
                        "command waits for its reply, as on the slide")),
            Quantity("relay_round_trips", float(through_message) if through_message else None,
                     float(len(exchanges)), "RTTs",
                     "round trips from the SYN to the server's acceptance of the message: "
                     + "; ".join(exchanges)),
            Quantity("relay_time", first.message_accepted_s(), len(exchanges) * rtt_s
                     + transmit_s, "s",
                     f"{len(exchanges)} RTTs of {1000 * rtt_s:g} ms"
                     + (f" + L/R = {first_bytes} B at {rate:g} Mb/s" if rate else ""),
                     rtt_s=rtt_s),
            Quantity("relay_connections", float(len(connections)), None, "connections",
                     f"SMTP connections from {client_host} to {server_host}, for "
                     f"{messages} messages"),
            Quantity("messages_per_connection", messages / len(connections), None, "messages",
                     "messages carried per connection: SMTP connections are persistent"),
            Quantity("seven_bit_crlf_dot", float(all(d.seven_bit and d.ends_crlf_dot_crlf
                                                      for d in self.relays)), 1.0, "",
                     "every relayed message was 7-bit ASCII and ended with CRLF.CRLF"),
        ]
        if rate and (len(connections) > 1 or messages > 1):
            span = max(d.syn + (d.message_accepted_s(d.messages) or 0) for d in connections) \
                - min(d.syn for d in connections)
            total = sum(sum(d.content_bytes) for d in connections)
            wire = sum(wire_bytes(b) for d in connections for b in d.content_bytes)
            found.append(Quantity(
                "batch_transfer_time", span,
                8 * wire / (rate * 1e6) + len(exchanges) * rtt_s, "s",
                f"first SYN to last acceptance of {messages} messages, {total} B in all: "
                f"L/R at the path's {rate:g} Mb/s (whole frames) + {len(exchanges)} RTTs",
                rtt_s=rtt_s))
        return found

    # Outage: the queue holds the mail, retries deliver it

    def outage(self, details: dict) -> list[Quantity]:
        found = []
        if self.queue:
            peak = max(self.queue, key=lambda r: int(r["total"]))
            details["queue"] = [(float(r["time"]) - self.run.window[0], int(r["total"]))
                                for r in self.queue]
            details["queue_listing"] = next((r["listing"] for r in reversed(self.queue)
                                             if r.get("listing")), "")
        holders = [n for n, s in self.servers.items() if s.params.get("domain")]
        outages = [(n, o) for n in holders for o in self.outages(n)]
        if not outages:
            return found
        name = outages[0][0]
        during = {}   # each outage that ended: the messages submitted in it
        for _, (start, end) in outages:
            if end != float("inf"):
                during[end] = {r["message_id"] for r in self.sent if r["bounce_expected"] == "0"
                               and start <= float(r["submit_end"]) <= end}
        if self.queue:
            submitted = sum(len(ids) for ids in during.values())
            found.append(Quantity(
                "queue_peak", float(peak["total"]), float(submitted) if len(during) == 1
                else None, "messages",
                f"messages waiting in the sender's queue at most; {submitted} were "
                f"submitted while {name} was down"))
        sender = next((w.params.get("server") for w in self.spec.all_workloads.values()
                       if w.role == MailSender.role), None)
        params = {**PostfixMailServer.defaults,
                  **(self.servers[sender].params if sender else {})}
        relay = len(round_trips(True)) * self.topo.rttMs(
            self.servers[sender].host, self.servers[name].host) / 1000 if sender else 0.0
        bound = params["queue_run_delay_s"] + params["maximal_backoff_s"] + relay
        details["retry_model"] = {"queue_run_delay_s": params["queue_run_delay_s"],
                                  "maximal_backoff_s": params["maximal_backoff_s"],
                                  "relay_s": relay, "bound_s": bound}
        fetched = {r["message_id"]: float(r["fetched"]) for r in self.fetched}
        ends = sorted(during)
        # Each message waited from the end of the last outage before it came.
        waits = [fetched[m] - max(e for e in ends if e <= fetched[m])
                 for ids in during.values() for m in ids
                 if m in fetched and any(e <= fetched[m] for e in ends)]
        if waits:
            single = len(during) == 1
            found.append(Quantity(
                "retry_wait", max(waits), bound if single else None, "s",
                "last delivery of the mail submitted during an outage, after the end of "
                "the outage before it came; the retry model's longest: queue_run_delay "
                f"{params['queue_run_delay_s']} s + maximal_backoff_time "
                f"{params['maximal_backoff_s']} s + one relay"
                + ("" if single else " (several outages: a backlog also waits its turn)")))
            if single:
                found.append(Quantity(
                    "retry_wait_share", max(waits) / bound, None, "",
                    "that wait as a share of the longest the retry model allows"))
        return found


STAGE_TEXT = {
    "submission_s": "user agent to its server: MAIL, RCPT, DATA, message and 250",
    "queue_s": "waiting in the servers' queues (Postfix's delays a+b), retries included",
    "relay_s": "server to server: DNS MX lookup, connection, dialogue (delays c+d)",
    "delivery_s": "the recipient's server: its queue manager to the mailbox (delays b+c+d)",
    "imap_s": "written in the Maildir to fetched by the reader's IMAP poll (every 0.2 s)",
}


def received_path(received: str) -> list[str]:
    """The servers a message passed, first first, from its Received: lines."""
    hops = [RECEIVED_BY.search(line) for line in reversed(received.split(" | "))]
    return [h[1] for h in hops if h]


def _relay_address(relay: str) -> str:
    """The address in Postfix's relay=name[10.0.2.4]:25."""
    match = re.search(r"\[([\d.]+)\]", relay)
    return match[1] if match else ""


def _unique(dialogues: list[Dialogue]) -> list[Dialogue]:
    """A connection captured at two places, once (the first capture's view)."""
    seen, kept = set(), []
    for dialogue in dialogues:
        key = (dialogue.client, dialogue.client_port, dialogue.server)
        if key not in seen:
            seen.add(key)
            kept.append(dialogue)
    return sorted(kept, key=lambda d: d.syn)


def report_lines(details: dict) -> list[str]:
    lines = []
    if details.get("path"):
        lines.append("path (Received: lines, first hop first): " + " → ".join(details["path"]))
        lines += [f"  Received: {r}" for r in details["received"]]
    if details.get("bounces"):
        lines.append(f"bounces returned to the sender's mailbox for: "
                     f"{', '.join(details['bounces'])}")
    dialogue = details.get("dialogue")
    if dialogue:
        lines.append(f"relay dialogue {dialogue['client']} → {dialogue['server']} "
                     f"(PIPELINING {'on' if dialogue['pipelining'] else 'off'}), "
                     "decoded from the capture, beside the slide:")
        slide = list(SLIDE_DIALOGUE)
        for (at_ms, side, text), token in zip(dialogue["lines"], dialogue["tokens"], strict=True):
            expected = slide.pop(0) if slide else ""
            mark = "" if token == expected else "  ≠"
            lines.append(f"  {at_ms:8.1f} ms  {side}: {text[:60]:<60}  slide: {expected}{mark}")
        lines.append(f"round trips (RTT of the hop {dialogue['rtt_ms']:g} ms):")
        for index, row in enumerate(dialogue["exchanges"]):
            model = dialogue["model"][index] if index < len(dialogue["model"]) else "closure"
            lines.append(f"  {index + 1}. {row['sent']:<28} → {row['reply']:<18} at "
                         f"{row['at_ms']:7.1f} ms = {row['at_ms'] / dialogue['rtt_ms']:4.2f} "
                         f"RTT   model: {model}")
    if details.get("queue_listing"):
        lines.append("the sender's queue at its longest (postqueue -p):")
        lines += [f"  {line}" for line in details["queue_listing"].splitlines()[:12]]
    if details.get("retry_model"):
        model = details["retry_model"]
        lines.append(f"retry model: queue_run_delay {model['queue_run_delay_s']} s, "
                     f"maximal_backoff_time {model['maximal_backoff_s']} s, one relay "
                     f"{model['relay_s']:.2f} s: last delivery within {model['bound_s']:.2f} s "
                     "of the outage's end")
    return lines


def _draw_queue(ax, scenario) -> None:
    """The sender's queue length, and the mail fetched so far."""
    times, lengths = zip(*scenario.details["queue"], strict=True)
    line, = ax.step(times, lengths, where="post", label="messages in the sender's queue")
    fetched = sorted(scenario.details.get("fetched_s", []))
    if fetched:
        ax.step(fetched, range(1, len(fetched) + 1), where="post", linestyle=":",
                color=line.get_color(), label="messages fetched")
    mark_events(ax, scenario.run)
    ax.set_xlabel("time since the workload started (s)")
    ax.set_ylabel("messages")


PLOTS = (ScenarioPlot("mail_queue", "The sender's queue and the mail fetched, over time",
                      _draw_queue, lambda scenario: bool(scenario.details.get("queue"))),)
