"""A DNS client that runs a programme of steps from one host and times each:

- ``lookup: NAME`` (``type``, default A): ask the local DNS server, recursion
  desired, as a host's stub resolver does;
- ``ask: NAME`` with ``server: SERVICE``: ask one DNS server directly,
  recursion not desired (what ``dig +norecurse @server`` shows);
- ``register: ZONE``: a registrar inserts the zone's NS and glue records into
  its parent zone (an RFC 2136 update to the parent's primary server);
- ``wait_ttl: LABEL``: sleep until what the step LABEL learnt has expired
  (its answer's TTL, or the negative TTL of a failed lookup);
- ``sleep: SECONDS``.

Every step has a ``label``; each one becomes a row of ``steps.csv``.

    python -m services.dns.client --programme programme.json --out steps.csv
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.update

from services.base import CsvWorkload, HostContext, write_rows
from topologies.names import fqdn

CSV_FIELDS = ["label", "action", "name", "type", "server", "rcode", "answers", "ttl",
              "start", "end", "latency_s", "error"]
ACTIONS = ("lookup", "ask", "register", "wait_ttl", "sleep")
STEP_KEYS = {"label", "type", "server", *ACTIONS}
# A stub resolver's patience: longer than any emulated lookup, short enough
# that a lookup with no answer (the root stopped) is recorded as failed.
QUERY_TIMEOUT_S = 10.0
# What a step learnt is surely gone this long after its TTL.
EXPIRY_MARGIN_S = 1.0


def step_problems(steps, services: set[str], zones: set[str]) -> list[tuple[tuple, str]]:
    """What is wrong with a programme, as (path below ``steps``, message):
    ``services`` and ``zones`` (below the root) are those steps may name."""
    if not isinstance(steps, list):
        return [((), "steps is a list of steps")]
    problems, labels = [], set()
    for index, step in enumerate(steps):
        if not isinstance(step, dict):
            problems.append(((index,), "a step is a mapping, e.g. {lookup: NAME, label: L}"))
            continue
        actions = [a for a in ACTIONS if a in step]
        if len(actions) != 1:
            problems.append(((index,), f"give exactly one of {', '.join(ACTIONS)}"))
        for key in sorted(set(step) - STEP_KEYS):
            problems.append(((index, key), "unknown key"))
        if "label" not in step:
            problems.append(((index,), "every step needs a label"))
        elif step["label"] in labels:
            problems.append(((index, "label"), f"label {step['label']!r} is used twice"))
        labels.add(step.get("label"))
        if "ask" in step and "server" not in step:
            problems.append(((index,), "an ask step needs the server to ask"))
        if "server" in step and step["server"] not in services:
            problems.append(((index, "server"), f"no service {step['server']!r} in this "
                             "scenario"))
        if "register" in step and fqdn(str(step["register"])) not in zones:
            problems.append(((index, "register"), f"no zone {step['register']!r} below the "
                             "root in the dns section"))
        if "wait_ttl" in step and step["wait_ttl"] not in labels:
            problems.append(((index, "wait_ttl"), f"no earlier step labelled {step['wait_ttl']!r}"))
        if "type" in step and not known_type(step["type"]):
            problems.append(((index, "type"), f"unknown record type {step['type']!r}"))
    return problems


def known_type(rtype) -> bool:
    try:
        dns.rdatatype.from_text(str(rtype))
    except dns.rdatatype.UnknownRdatatype:
        return False
    return True


class DnsClient(CsvWorkload):
    role = "dns-client"
    columns = tuple(CSV_FIELDS)
    output = "steps.csv"
    defaults = {"steps": [], "clients": 1, "index": 0, "duration_s": 0.0}

    @staticmethod
    def param_problems(params: dict, spec) -> list[tuple[tuple, str]]:
        if spec.dns is None:
            return [((), "the dns-client workload needs the spec's dns section")]
        zones = {fqdn(z) for z in spec.dns.zones} - {"."}
        return [(("steps", *where), message) for where, message in
                step_problems(params.get("steps", []), set(spec.services), zones)]

    def programme(self, ctx: HostContext) -> dict:
        """The steps with every service and zone turned into addresses."""
        names = ctx.names
        steps = []
        for step in self._params(ctx)["steps"]:
            step = dict(step)
            if "server" in step:
                step["server"] = ctx.address_of_service(step["server"])
            if "register" in step:
                zone = names.zones[fqdn(step["register"])]
                parent = names.zones[zone.parent]
                step["server"] = next(iter(parent.server_addresses.values()))
                step["parent"] = parent.origin
                step["records"] = [[r.name, r.ttl, r.type, r.value] for r in zone.delegation]
            steps.append(step)
        return {"resolver": ctx.address_of_service(ctx.resolver), "steps": steps}

    def config(self, ctx: HostContext) -> dict[Path, str]:
        return {ctx.path("programme.json"): json.dumps(self.programme(ctx), indent=2)}

    def command(self, ctx: HostContext) -> list[str]:
        return [sys.executable, "-m", "services.dns.client",
                "--programme", str(ctx.path("programme.json")),
                "--out", str(ctx.path(self.output))]


def query(name: str, rtype: str, server: str, recursion: bool) -> dict:
    message = dns.message.make_query(name, rtype)
    if not recursion:
        message.flags &= ~dns.flags.RD
    start = time.time()
    try:
        reply = dns.query.udp(message, server, timeout=QUERY_TIMEOUT_S)
    except (dns.exception.Timeout, OSError) as exc:
        return {"start": start, "end": time.time(), "rcode": "TIMEOUT", "answers": "",
                "ttl": "", "error": type(exc).__name__}
    end = time.time()
    wanted = dns.rdatatype.from_text(rtype)
    answers = sorted(rdata.to_text() for rrset in reply.answer if rrset.rdtype == wanted
                     for rdata in rrset)
    sections = reply.answer or reply.authority
    ttl = min((rrset.ttl for rrset in sections), default="")
    if not reply.answer and reply.authority:  # a negative answer lives as long as the SOA says
        ttl = min(min(rrset.ttl, getattr(rrset[0], "minimum", rrset.ttl))
                  for rrset in reply.authority)
    return {"start": start, "end": end, "rcode": dns.rcode.to_text(reply.rcode()),
            "answers": " ".join(answers), "ttl": ttl, "error": ""}


def register(step: dict) -> dict:
    update = dns.update.UpdateMessage(step["parent"])
    for name, ttl, rtype, value in step["records"]:
        update.add(name, ttl, rtype, value)
    start = time.time()
    reply = dns.query.udp(update, step["server"], timeout=QUERY_TIMEOUT_S)
    return {"start": start, "end": time.time(), "rcode": dns.rcode.to_text(reply.rcode()),
            "answers": " ".join(f"{n} {t} {v}" for n, _, t, v in step["records"]),
            "ttl": "", "error": ""}


def run(programme: dict) -> list[dict]:
    rows: list[dict] = []
    learnt: dict[str, tuple[float, float]] = {}  # label -> (end, ttl)
    for step in programme["steps"]:
        action = next(a for a in ACTIONS if a in step)
        row = {"label": step["label"], "action": action, "name": "", "type": "",
               "server": step.get("server", "")}
        if action in ("lookup", "ask"):
            rtype = str(step.get("type", "A")).upper()
            server = programme["resolver"] if action == "lookup" else step["server"]
            row.update(name=step[action], type=rtype, server=server)
            row.update(query(step[action], rtype, server, recursion=action == "lookup"))
            if row["ttl"] != "":
                learnt[step["label"]] = (row["end"], float(row["ttl"]))
        elif action == "register":
            row.update(name=step["register"], **register(step))
        else:
            start = time.time()
            if action == "wait_ttl":
                end, ttl = learnt[step["wait_ttl"]]
                time.sleep(max(0.0, end + ttl + EXPIRY_MARGIN_S - start))
            else:
                time.sleep(float(step["sleep"]))
            row.update(start=start, end=time.time(), rcode="", answers="", ttl="", error="")
        row["latency_s"] = row["end"] - row["start"]
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="a programme of DNS lookups")
    parser.add_argument("--programme", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    rows = run(json.loads(args.programme.read_text()))
    write_rows(args.out, CSV_FIELDS, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
