"""DNS: which servers a lookup asks, how long it takes, and what it answers.

The model replays the client's programme against the name plan with a
resolver's cache (Kurose & Ross's local DNS server):

- iterated: the local server asks the closest level it has not cached (root,
  then TLD, then authoritative), each answering with a referral or the answer;
  it caches the referrals for the parent zone's TTL and answers for the
  zone's TTL. Latency: one client-resolver RTT plus one resolver-server RTT
  per query.
- recursive: the local server asks the root, which asks the TLD, which asks
  the authoritative server, each on the asker's behalf. Latency: the RTTs of
  that chain. Only the local server's answer cache spares a walk.

RTTs come from the topology's link delays. A stopped server answers nothing,
so a lookup that needs it fails. The queries each server answered are read
from its own query log, between the step's start and end.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import dns.message
import dpkt

from orchestrator.experiment.models.base import Quantity, Requires
from orchestrator.experiment.result import EventKind
from services.dns.authoritative import BindAuthoritative
from services.dns.client import DnsClient
from topologies.names import Names, Zone, fqdn, within

CHECKS = ("queries_match_model", "cold_queries_sent_by_resolver", "cold_latency",
          "warm_latency", "cached_tld_root_queries", "expired_queries", "answers_match_plan",
          "registration", "outage_cached_tld_resolves", "outage_uncached_tld_fails",
          "message_format")

REQUIRES = Requires(workload_roles=(DnsClient.role,))
LEVELS = ("root", "TLD", "authoritative")
DNS_PORT = 53
# Replies that are answers; anything else (SERVFAIL, a timeout) is a failure.
ANSWERED = ("NOERROR", "NXDOMAIN")


def depth(origin: str) -> int:
    return 0 if origin == "." else origin.count(".")


def level_of(zone: Zone) -> str:
    if zone.origin == ".":
        return "root"
    return "TLD" if zone.parent == "." else "authoritative"


@dataclass
class Prediction:
    queries: dict[str, int]                     # server host -> queries it answers
    asked_by: dict[str, str]                    # server host -> who asks it
    exchanges: list[tuple[str, str]]            # (asker, server) round trips, in order
    rcode: str = "NOERROR"
    answers: list[str] = field(default_factory=list)


class ResolverModel:
    """A local DNS server's cache and what it does on each lookup."""

    def __init__(self, names: Names, resolver: str, client: str):
        self.names, self.resolver, self.client = names, resolver, client
        self.answers: dict[tuple[str, str], float] = {}    # (name, type) -> expiry
        self.cuts: dict[str, float] = {".": float("inf")}  # zone -> delegation expiry
        self.negative: dict[tuple[str, str], float] = {}  # NXDOMAIN cached until
        self.down: set[str] = set()

    def zone_for(self, name: str) -> Zone:
        """The deepest zone holding ``name`` that resolvers can reach."""
        holders = [z for z in self.names.zones.values()
                   if within(name, z.origin) and self._delegated(z)]
        return max(holders, key=lambda z: depth(z.origin))

    def _delegated(self, zone: Zone) -> bool:
        while zone.parent is not None:
            if not zone.registered:
                return False
            zone = self.names.zones[zone.parent]
        return True

    def server_of(self, zone: Zone) -> str:
        return next(iter(zone.servers.values()))

    def lookup(self, name: str, rtype: str, at: float, recursive: bool) -> Prediction:
        prediction = Prediction({}, {}, [(self.client, self.resolver)])
        self._resolve(fqdn(name), rtype, at, recursive, prediction)
        return prediction

    def _resolve(self, name: str, rtype: str, at: float, recursive: bool,
                 prediction: Prediction) -> None:
        if self.negative.get((name, rtype), -1) >= at:
            prediction.rcode = "NXDOMAIN"
            return
        if self.answers.get((name, rtype), -1) < at:
            target = self.zone_for(name)
            path = self._path(target)
            if not recursive:  # start below the deepest zone cut still cached
                path = [z for z in path if self.cuts.get(z.origin, -1) >= at][-1:] + \
                    [z for z in path if self.cuts.get(z.origin, -1) < at]
            asker = self.resolver
            for index, zone in enumerate(path):
                server = self.server_of(zone)
                if server in self.down:
                    prediction.rcode = "SERVFAIL"
                    return
                prediction.queries[server] = prediction.queries.get(server, 0) + 1
                prediction.asked_by[server] = asker
                prediction.exchanges.append((asker, server))
                if recursive:  # the server asks the next level itself
                    asker = server
                elif index + 1 < len(path):  # a referral, cached for the parent's TTL
                    self.cuts[path[index + 1].origin] = at + zone.ttl
            if target is not self.home_zone(name) or not any(
                    r.name == name for r in target.records):
                prediction.rcode = "NXDOMAIN"
                self.negative[(name, rtype)] = at + self.names.negative_ttl
                return
            self.answers[(name, rtype)] = at + target.ttl
        canonical = self.names.aliases.get(name) if rtype != "CNAME" else None
        if canonical:
            # RFC 1034 5.3.3: the resolver restarts the query at the canonical name.
            self._resolve(canonical, rtype, at, recursive, prediction)
        else:
            prediction.answers = self.names.lookup(name, rtype)

    def home_zone(self, name: str) -> Zone:
        """The zone the plan puts ``name`` in, reachable or not."""
        return max((z for z in self.names.zones.values() if within(name, z.origin)),
                   key=lambda z: depth(z.origin))

    def _path(self, zone: Zone) -> list[Zone]:
        path = [zone]
        while path[0].parent is not None:
            path.insert(0, self.names.zones[path[0].parent])
        return path


def dns_messages(pcap_path: str) -> list[tuple[float, dns.message.Message]]:
    """The DNS messages in a capture, in order."""
    messages = []
    with open(pcap_path, "rb") as handle:
        for when, frame in dpkt.pcap.Reader(handle):
            ip = dpkt.ethernet.Ethernet(frame).data
            udp = getattr(ip, "data", None)
            if isinstance(udp, dpkt.udp.UDP) and DNS_PORT in (udp.sport, udp.dport):
                messages.append((when, dns.message.from_wire(bytes(udp.data))))
    return messages


def message_format(pcaps: list[str]) -> dict | None:
    """The first query in the capture and its reply: id, flags, section counts."""
    messages = [m for pcap in pcaps for m in dns_messages(pcap)]
    for index, (_, query) in enumerate(messages):
        if query.flags & dns.flags.QR:
            continue
        reply = next((m for _, m in messages[index + 1:]
                      if m.id == query.id and m.flags & dns.flags.QR), None)
        if reply is None:
            continue

        def describe(message):
            flags = dns.flags.to_text(message.flags).split()
            return {"id": message.id, "flags": [f for f in ("QR", "AA", "RD", "RA") if f in flags],
                    "question": len(message.question), "answer": len(message.answer),
                    "authority": len(message.authority),
                    "additional": len(message.additional),
                    "name": message.question[0].name.to_text() if message.question else ""}
        return {"query": describe(query), "reply": describe(reply)}
    return None


def _format_ok(fmt: dict | None) -> float:
    if fmt is None:
        return 0.0
    query, reply = fmt["query"], fmt["reply"]
    return float(query["id"] == reply["id"] and "QR" not in query["flags"]
                 and "RD" in query["flags"] and {"QR", "RD", "RA"} <= set(reply["flags"])
                 and query["question"] == reply["question"] == 1 and reply["answer"] >= 1)


def quantities(spec, run) -> tuple[list[Quantity], dict]:
    topo = spec.topology.build()
    names = spec.dns.plan().build(run.addresses)
    resolver = spec.dns.resolver
    client = spec.workload_of_role(DnsClient.role).hosts[0]
    host_of = {ip: host for host, ip in run.addresses.items()}
    service_host = {name: s.host for name, s in spec.services.items()}
    level = {host: level_of(z) for z in names.zones.values() for host in z.servers.values()}
    logs = {service_host[name]: m.get("query_log", []) for name, m in run.services.items()
            if spec.services[name].role == BindAuthoritative.role}
    recursive = spec.dns.resolution == "recursive"
    model = ResolverModel(names, resolver, client)

    def rtt_s(a: str, b: str) -> float:
        return topo.rttMs(a, b) / 1000

    # The timeline's service events, on the rows' clock: a stopped server answers nothing.
    outages = sorted((run.window[0] + e.happened_s, e.kind, e.target) for e in run.events
                     if e.kind.on_a_service and e.happened_s is not None)
    steps: dict[str, dict] = {}
    for row in run.rows():
        start, end = float(row["start"]), float(row["end"])
        while outages and outages[0][0] <= start:
            _, kind, service = outages.pop(0)
            (model.down.discard if kind == EventKind.SERVICE_START else model.down.add)(
                service_host[service])
        # (server, who asked it) for each query the servers logged in the step
        asked = [(host, host_of.get(q["client"], q["client"]))
                 for host, log in logs.items() for q in log if start <= q["time"] <= end]
        step = {"row": row, "measured": dict(Counter(server for server, _ in asked)),
                "askers": {server: sorted({a for s, a in asked if s == server})
                           for server, _ in asked},
                "sent_by_resolver": sum(1 for _, asker in asked if asker == resolver)}
        if row["action"] == "lookup":
            prediction = model.lookup(row["name"], row["type"], start, recursive)
            step["prediction"] = prediction
            step["predicted_s"] = (sum(rtt_s(a, b) for a, b in prediction.exchanges)
                                   if prediction.rcode != "SERVFAIL" else None)
            step["rtt_step_s"] = min(rtt_s(a, b) for a, b in prediction.exchanges)
        elif row["action"] == "register":
            names.zones[fqdn(row["name"])].registered = True
        steps[row["label"]] = step

    lookups = {label: s for label, s in steps.items() if "prediction" in s}

    def per_level(counts: dict[str, int]) -> dict[str, int]:
        totals = dict.fromkeys(LEVELS, 0)
        for host, count in counts.items():
            totals[level[host]] += count
        return totals

    def matches(step) -> bool:
        prediction = step["prediction"]
        return step["measured"] == prediction.queries and step["askers"] == {
            server: [asker] for server, asker in prediction.asked_by.items()}

    def answered_right(step) -> bool:
        row, prediction = step["row"], step["prediction"]
        if prediction.rcode == "SERVFAIL":  # no answer: an error, or none in time
            return row["rcode"] not in ANSWERED
        return (row["rcode"] == prediction.rcode
                and row["answers"].split() == " ".join(prediction.answers).split())

    quantities_ = [
        Quantity("queries_match_model",
                 sum(map(matches, lookups.values())) / len(lookups) if lookups else None, 1.0,
                 "", "lookups whose queries at each server, and who sent them (from the "
                 "servers' query logs), are the model's")]
    if "cold" in lookups:
        cold = lookups["cold"]
        quantities_ += [
            Quantity("cold_queries_sent_by_resolver", cold["sent_by_resolver"],
                     sum(1 for a, _ in cold["prediction"].exchanges[1:] if a == resolver), "",
                     "queries the local DNS server sent to the hierarchy: one per level "
                     "when it iterates, one (to the root) when the servers recurse",
                     textbook=3 if not recursive else 1),
            Quantity("cold_latency", float(cold["row"]["latency_s"]), cold["predicted_s"], "s",
                     "the RTTs of the exchanges: " + ", ".join(
                         f"{a}-{b} {1000 * rtt_s(a, b):g} ms"
                         for a, b in cold["prediction"].exchanges)
                     + "; the tolerance's RTT is the smallest of these steps",
                     rtt_s=cold["rtt_step_s"])]
    if "warm" in lookups:
        warm = lookups["warm"]
        quantities_.append(Quantity(
            "warm_latency", float(warm["row"]["latency_s"]), warm["predicted_s"], "s",
            "answered from the local DNS server's cache: one client-resolver RTT",
            rtt_s=warm["rtt_step_s"]))
    if "cached_tld" in lookups:
        quantities_.append(Quantity(
            "cached_tld_root_queries", per_level(lookups["cached_tld"]["measured"])["root"],
            0, "", "another name in a TLD the local server has cached skips the root"))
    if "expired" in lookups:
        quantities_.append(Quantity(
            "expired_queries", sum(lookups["expired"]["measured"].values()),
            sum(lookups["expired"]["prediction"].queries.values()), "",
            "after the answer's TTL the same lookup goes out again"))
    quantities_.append(Quantity(
        "answers_match_plan", sum(map(answered_right, lookups.values())) / len(lookups)
        if lookups else None, 1.0, "", "lookups whose status and records (A, NS, CNAME "
        "chain, MX) are the plan's"))
    if "unregistered" in lookups and "registered" in lookups:
        before, after = lookups["unregistered"]["row"], lookups["registered"]["row"]
        quantities_.append(Quantity(
            "registration", float(before["rcode"] == "NXDOMAIN" and after["rcode"] == "NOERROR"
                                  and bool(after["answers"])), 1.0, "",
            "no such name before the NS and A records are in the TLD; resolves after"))
    if "outage_cached_tld" in lookups:
        quantities_.append(Quantity(
            "outage_cached_tld_resolves",
            float(lookups["outage_cached_tld"]["row"]["rcode"] == "NOERROR"), 1.0, "",
            "with the root stopped, a name in a cached TLD still resolves"))
    if "outage_uncached_tld" in lookups:
        quantities_.append(Quantity(
            "outage_uncached_tld_fails",
            float(lookups["outage_uncached_tld"]["row"]["rcode"] not in ANSWERED), 1.0, "",
            "with the root stopped, a name in a TLD never asked before fails"))
    fmt = message_format(run.pcaps) if run.pcaps else None
    if run.pcaps:
        quantities_.append(Quantity(
            "message_format", _format_ok(fmt), 1.0, "",
            "the first query and its reply in the capture: same id, QR 0 then 1, RD set, "
            "RA in the reply, one question, an answer"))
    table = [{"label": label, "name": s["row"]["name"], "type": s["row"]["type"],
              "rcode": s["row"]["rcode"], "latency_s": float(s["row"]["latency_s"]),
              "predicted_s": s["predicted_s"],
              "measured": per_level(s["measured"]),
              "predicted": per_level(s["prediction"].queries),
              "askers": s["askers"]} for label, s in lookups.items()]
    return quantities_, {"lookups": table, "message_format": fmt}


def report_lines(details: dict) -> list[str]:
    lines = ["queries per level, measured/model (root, TLD, authoritative), latency ms "
             "measured/model:"]
    for row in details["lookups"]:
        counts = "  ".join(f"{row['measured'][lv]}/{row['predicted'][lv]}" for lv in LEVELS)
        askers = ", ".join(f"{server}<-{'+'.join(by)}" for server, by in row["askers"].items())
        lines.append(f"  {row['label']:<20} {row['name']:<24} {row['type']:<3} "
                     f"{row['rcode']:<8} {counts}   {1000 * row['latency_s']:7.1f}/"
                     + (f"{1000 * row['predicted_s']:.1f}" if row["predicted_s"] is not None
                        else "fails") + (f"   asked: {askers}" if askers else ""))
    fmt = details.get("message_format")
    if fmt:
        for kind in ("query", "reply"):
            m = fmt[kind]
            lines.append(f"  {kind}: id {m['id']} flags {' '.join(m['flags']) or '-'} "
                         f"question {m['question']} answer {m['answer']} authority "
                         f"{m['authority']} additional {m['additional']} ({m['name']})")
    return lines
