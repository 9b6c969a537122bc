"""BitTorrent's dynamics (Kurose & Ross, "BitTorrent"), read from each
peer's records (services/p2p/peer.py):

- rarest first: a peer requests, among the pieces it lacks, one that the
  fewest of its neighbours have; compared here with the mean availability of
  the pieces it could have taken (a random choice's expectation);
- tit-for-tat: a leecher's four regular unchokes go to the neighbours that
  send to it fastest, re-evaluated every 10 s; one more is unchoked
  optimistically every 30 s;
- a free-rider (it uploads nothing) gets data only through optimistic
  unchokes and seeds, on the slides' account, and finishes last; under
  libtorrent's own choker it may not, and how long it held optimistic
  slots, against other recipients, says why;
- churn: the swarm completes while every piece survives on some peer that
  stays; when the only copy of a piece leaves, the swarm stalls.
"""
from __future__ import annotations

import statistics
from collections import defaultdict

from orchestrator.experiment.models.base import Quantity, Requires
from orchestrator.experiment.plots import ScenarioPlot
from services.p2p.choker import REGULAR_UNCHOKE_SLOTS, UNCHOKE_INTERVAL_S
from services.p2p.peer import BtPeer, BtSeed

CHECKS = ("all_complete", "pieces_lost", "requested_availability_ratio", "rarest_pick_share",
          "random_pick_rarest_share",
          "unchoked_are_top_givers", "free_rider_finished_last",
          "free_rider_time_ratio", "free_rider_optimistic_share",
          "free_rider_leechers_optimistic_share", "free_rider_optimistic_hold",
          "free_rider_regular_share", "free_rider_seed_share", "free_rider_sent_mb",
          "choices_carried_out")
# Tit-for-tat and the choke states are read from each neighbour's rows.
REQUIRES = Requires(pooled_workload_roles=(BtPeer.role,),
                    workload_params={role: {"record_neighbours": True}
                                     for role in (BtPeer.role, BtSeed.role)})
LEECHER_ROLE, SEED_ROLE = BtPeer.role, BtSeed.role
# libtorrent picks its first pieces at random (its initial_picker_threshold),
# so a peer can trade something soon; rarest first applies after these.
RANDOM_FIRST_PIECES = 4
# A neighbour "gives" if it sent at least this in a second (libtorrent's rate
# estimate decays after a choke; below this it is the tail of an old transfer).
GIVING_BPS = 50e3


def quantities(spec, run) -> tuple[list[Quantity], dict]:
    swarm = Swarm.read(spec, run)
    found = [
        Quantity("all_complete", swarm.complete_share(), 1.0, "",
                 "leechers still in the swarm at the end that completed the file"),
        Quantity("pieces_lost", float(len(swarm.lost_pieces())), 0.0, "",
                 "pieces no peer in the swarm held at the end")]
    ratio, rarest, by_chance, choices = swarm.rarity_of_requests()
    found += [
        Quantity("requested_availability_ratio", ratio, None, "",
                 "availability of the pieces peers requested over the mean availability "
                 f"of those they could have taken (1: random; after the first "
                 f"{RANDOM_FIRST_PIECES}, which libtorrent picks at random)"),
        Quantity("rarest_pick_share", rarest, 1.0, "",
                 "requests for a piece of the least availability among the candidates"),
        Quantity("random_pick_rarest_share", by_chance, None, "",
                 "the same share for a random pick among the same candidates"),
        Quantity("unchoked_are_top_givers", swarm.top_giver_agreement(), 1.0, "",
                 "a leecher's regular unchokes that were among its "
                 f"{REGULAR_UNCHOKE_SLOTS} fastest givers over the {UNCHOKE_INTERVAL_S} s "
                 "before (over leechers and seconds)")]
    details = {"finished_s": swarm.finished, "free_riders": swarm.riders,
               "progress": swarm.progress_series(),
               "availability": swarm.availability_series(),
               "unchoke_graph": swarm.unchoke_graph(),
               "lost_pieces": swarm.lost_pieces(),
               "choke_events": swarm.choke_events(), "requests_with_a_choice": choices}
    carried_out = swarm.choices_carried_out()
    if carried_out is not None:
        found.append(Quantity(
            "choices_carried_out", carried_out, 1.0, "",
            "of the interested neighbours a strict leecher's choker had chosen or "
            "libtorrent had unchoked (a second or more after the choker last changed "
            "its mind about them), the share both chose: per leecher and second"))
    if swarm.riders:
        found += free_rider_quantities(swarm, swarm.riders[0], details)
    return found, details


def free_rider_quantities(swarm: Swarm, rider: str, details: dict) -> list[Quantity]:
    others = [t for host, t in swarm.finished.items() if host != rider]
    at = swarm.finished.get(rider)
    sources = swarm.received_by_state(rider)
    total = sum(sources.values())
    details["free_rider_sources_mb"] = {k: v / 8e6 for k, v in sources.items()}

    def share(state: str) -> float | None:
        return sources[state] / total if total else None

    from_leechers = sources["optimistic"] + sources["regular"]

    return [
        Quantity("free_rider_finished_last",
                 None if at is None or not others else float(at > max(others)), None, "",
                 f"{rider} uploads nothing: on the slides' account it finishes last",
                 textbook=1.0),
        Quantity("free_rider_time_ratio",
                 at / statistics.median(others) if at and others else None, None, "",
                 f"{rider}'s completion time over the other leechers' median"),
        Quantity("free_rider_optimistic_share", share("optimistic"), None, "",
                 f"of the data sent to {rider}, the share sent by leechers that had it "
                 "optimistically unchoked"),
        Quantity("free_rider_regular_share", share("regular"), None, "",
                 "... by leechers that had it in a regular slot (the slides: none)",
                 textbook=0.0),
        Quantity("free_rider_seed_share", share("seed"), None, "",
                 "... by seeds (the publisher, and leechers that had finished)"),
        Quantity("free_rider_leechers_optimistic_share",
                 sources["optimistic"] / from_leechers if from_leechers else None, None, "",
                 f"of what leechers sent {rider}, the share sent optimistically "
                 "(the slides: all of it)", textbook=1.0),
        Quantity("free_rider_optimistic_hold", swarm.optimistic_hold(rider), None, "",
                 f"seconds {rider} held optimistic slots over a recipient's mean (1: its "
                 "share; a neighbour that sends back is promoted out of the slot)"),
        Quantity("free_rider_sent_mb", swarm.sent_bits(rider) / 8e6, 0.0, "MB",
                 f"what {rider} itself uploaded (protocol messages only)")]


class Swarm:
    """The peers' records of one run, by host and kind, with times in seconds
    since the first peer started."""

    def __init__(self, rows: list[dict], leechers: list[str], riders: list[str],
                 host_of: dict[str, str]):
        self.rows = rows
        self.leechers = leechers
        self.riders = riders
        self.host_of = host_of
        self.start = min((float(r["time"]) for r in rows if r["kind"] == "started"),
                         default=0.0)
        self.finished = {r["client"]: self.t(r) for r in rows
                         if r["kind"] == "completed" and r["client"] in leechers}

    @classmethod
    def read(cls, spec, run) -> Swarm:
        leechers, riders, rows = [], [], []
        for name, workload in spec.all_workloads.items():
            if workload.role not in (LEECHER_ROLE, SEED_ROLE) or name not in run.workloads:
                continue
            rows += run.workloads[name].rows
            if workload.role == LEECHER_ROLE:
                leechers += workload.hosts
                riders += [h for h in workload.hosts if workload.params_for(h).get("free_rider")]
        return cls(rows, leechers, riders, {ip: host for host, ip in run.addresses.items()})

    def t(self, row: dict) -> float:
        return float(row["time"]) - self.start

    def of_kind(self, kind: str):
        return (r for r in self.rows if r["kind"] == kind)

    def stayed(self) -> list[str]:
        """Leechers whose last run was not stopped by the timeline: in the
        swarm until they finished or the run ended."""
        last = {}
        for r in self.of_kind("left"):
            last[r["client"]] = r["detail"]
        return [h for h in self.leechers if last.get(h) != "stopped"]

    def complete_share(self) -> float | None:
        stayed = self.stayed()
        return sum(1 for h in stayed if h in self.finished) / len(stayed) if stayed else None

    def holdings(self) -> dict[str, list[tuple[float, float, str]]]:
        """Per host, (from, to, pieces held) for each record while it ran."""
        spans = defaultdict(list)
        by_host = defaultdict(list)
        for r in self.rows:
            if r["kind"] in ("progress", "left"):
                by_host[r["client"]].append(r)
        for host, records in by_host.items():
            records.sort(key=self.t)
            for here, after in zip(records, records[1:] + [None], strict=True):
                if here["kind"] != "progress":
                    continue
                end = self.t(after) if after is not None else self.t(here) + 1.0
                spans[host].append((self.t(here), end, here["pieces"]))
        return spans

    def availability_series(self) -> list[tuple[float, list[int]]]:
        """Each second, how many running peers (seeds included) hold each piece."""
        spans = self.holdings()
        ends = [end for host in spans.values() for _, end, _ in host]
        if not ends:
            return []
        series = []
        for second in range(int(max(ends)) + 1):
            counts = None
            for host in spans.values():
                held = next((p for start, end, p in host if start <= second < end), None)
                if held is None:
                    continue
                counts = counts or [0] * len(held)
                for i, bit in enumerate(held):
                    counts[i] += bit == "1"
            if counts is not None:
                series.append((float(second), counts))
        return series

    def lost_pieces(self) -> list[int]:
        """Pieces no running peer held in the last second anyone ran."""
        series = self.availability_series()
        return [i for i, n in enumerate(series[-1][1]) if n == 0] if series else []

    def rarity_of_requests(self) -> tuple[float | None, float | None, float | None, int]:
        """Over the requests with a choice: the requested piece's availability
        over the candidates' mean; the share of requests for a rarest
        candidate; that share a random pick would have had; and how many
        requests had a choice."""
        ratios, rarest, by_chance = [], [], []
        by_host = defaultdict(list)
        for r in self.of_kind("request"):
            by_host[r["client"]].append(r)
        for requests in by_host.values():
            requests.sort(key=self.t)
            for r in requests[RANDOM_FIRST_PIECES:]:
                candidates = [int(n) for n in r["detail"].split()]
                if len(candidates) < 2:
                    continue   # no choice to make
                least = min(candidates)
                ratios.append(int(r["availability"]) / statistics.mean(candidates))
                rarest.append(int(r["availability"]) == least)
                by_chance.append(candidates.count(least) / len(candidates))
        return (statistics.mean(ratios) if ratios else None,
                sum(rarest) / len(rarest) if rarest else None,
                statistics.mean(by_chance) if by_chance else None, len(rarest))

    def neighbour_rows(self):
        for r in self.of_kind("neighbour"):
            other = self.host_of.get(r["neighbour"])
            if other is not None:
                yield r, other

    def top_giver_agreement(self) -> float | None:
        """For each compliant leecher and second: of the neighbours it holds
        in regular slots, the share among the ``REGULAR_UNCHOKE_SLOTS`` that sent it
        most over the round before."""
        seconds = defaultdict(lambda: defaultdict(list))   # host -> second -> rows
        for r, other in self.neighbour_rows():
            if r["client"] in self.leechers and r["client"] not in self.riders:
                seconds[r["client"]][round(self.t(r))].append((r, other))
        agree = total = 0
        for by_second in seconds.values():
            for second, rows in by_second.items():
                given = defaultdict(float)
                for earlier in range(second - UNCHOKE_INTERVAL_S, second):
                    for r, other in by_second.get(earlier, []):
                        given[other] += float(r["down_bps"])
                top = set(sorted((o for o in given if given[o] >= GIVING_BPS),
                                 key=given.get, reverse=True)[:REGULAR_UNCHOKE_SLOTS])
                if not top:
                    continue
                regular = [o for r, o in rows if r["choked_by_us"] == "0"
                           and r["optimistic"] == "0" and r["interested"] == "1"]
                agree += sum(1 for o in regular if o in top)
                total += len(regular)
        return agree / total if total else None

    def choke_events(self) -> dict[str, int]:
        """How many chokes, unchokes and optimistic unchokes the peers logged."""
        kinds = ("choke", "unchoke", "optimistic-unchoke")
        return {kind: sum(1 for _ in self.of_kind(kind)) for kind in kinds}

    def choices_carried_out(self) -> float | None:
        """Over strict leechers' records of interested neighbours while they
        downloaded, once libtorrent had had a round to carry out the choice:
        of those their choker chose or libtorrent unchoked, the share both
        did (None: no strict leecher). Neighbours neither chose nor
        unchoked, most of them, are left out: counted, they would make any
        choice look followed."""
        both = either = 0
        for r in self.of_kind("neighbour"):
            if r.get("chosen") in ("0", "1") and r["interested"] == "1":
                picked, unchoked = r["chosen"] == "1", r["choked_by_us"] == "0"
                both += picked and unchoked
                either += picked or unchoked
        return both / either if either else None

    def unchoke_graph(self) -> dict[str, dict[str, dict[str, int]]]:
        """Seconds each peer held each neighbour unchoked, regularly or
        optimistically: who unchoked whom, and how often."""
        graph = defaultdict(lambda: defaultdict(lambda: {"regular": 0, "optimistic": 0}))
        for r, other in self.neighbour_rows():
            if r["choked_by_us"] == "0" and r["interested"] == "1":
                kind = "optimistic" if r["optimistic"] == "1" else "regular"
                graph[r["client"]][other][kind] += 1
        return {k: dict(v) for k, v in graph.items()}

    def optimistic_hold(self, host: str) -> float | None:
        """Seconds leechers held ``host`` optimistically unchoked, over the
        mean of every peer they ever did."""
        held = defaultdict(int)
        for client, by_other in self.unchoke_graph().items():
            if client in self.leechers:
                for other, kinds in by_other.items():
                    held[other] += kinds["optimistic"]
        recipients = [v for v in held.values() if v]
        return held[host] / statistics.mean(recipients) if recipients else None

    def received_by_state(self, host: str) -> dict[str, float]:
        """Bits sent to ``host`` between each sender's records (its byte
        counter toward it), by how the sender had it unchoked at the first of
        the two: as a seed, in a regular slot or optimistically."""
        sources = {"seed": 0.0, "regular": 0.0, "optimistic": 0.0}
        pairs = defaultdict(list)
        for r, other in self.neighbour_rows():
            if other == host:
                pairs[r["client"]].append(r)
        for sender, records in pairs.items():
            records.sort(key=self.t)
            for before, after in zip(records, records[1:], strict=False):
                sent = sent_bytes(after) - sent_bytes(before)
                if sent <= 0 or before["choked_by_us"] == "1":
                    continue    # a new connection, or the tail of a choked transfer
                seeding = sender not in self.leechers or (
                    sender in self.finished and self.t(before) >= self.finished[sender])
                state = "seed" if seeding else \
                    "optimistic" if before["optimistic"] == "1" else "regular"
                sources[state] += 8 * sent
        return sources

    def sent_bits(self, host: str) -> float:
        """Payload ``host`` uploaded: its counter, summed over its runs (a
        run started again counts from zero)."""
        counts = [float(r["detail"] or 0) for r in sorted(self.of_kind("progress"), key=self.t)
                  if r["client"] == host]
        ends = [a for a, b in zip(counts, counts[1:], strict=False) if b < a] + counts[-1:]
        return 8 * sum(ends)

    def progress_series(self) -> dict[str, list[tuple[float, float]]]:
        series = defaultdict(list)
        for r in self.of_kind("progress"):
            if r["client"] in self.leechers:
                series[r["client"]].append((self.t(r), float(r["progress"])))
        return dict(series)


def sent_bytes(row: dict) -> int:
    """A neighbour record's count of bytes sent to it over the connection."""
    return int(row["detail"].split()[1])


def report_lines(details: dict) -> list[str]:
    order = sorted(details["finished_s"].items(), key=lambda kv: kv[1])
    lines = ["completion order: " + ", ".join(f"{h} {s:.1f}s" for h, s in order)]
    if details["lost_pieces"]:
        lines.append("stalled: no peer left holds piece(s) "
                     + ", ".join(map(str, details["lost_pieces"])))
    if "free_rider_sources_mb" in details:
        lines.append("free-rider received (MB): " + ", ".join(
            f"{k} {v:.1f}" for k, v in details["free_rider_sources_mb"].items()))
    return lines


def _draw_progress(ax, scenario) -> None:
    """Each leecher's share of the file over time; free-riders dashed."""
    riders = scenario.details.get("free_riders", [])
    for host, series in sorted(scenario.details["progress"].items()):
        times, shares = zip(*series, strict=True)
        rider = host in riders
        ax.plot(times, shares, linewidth=2 if rider else 1, linestyle="--" if rider else "-",
                label=f"{host} (free-rider)" if rider else host)
    ax.set_xlabel("time since the swarm started (s)")
    ax.set_ylabel("share of the file held")


def _draw_availability(ax, scenario) -> None:
    """How many running peers hold each piece, second by second."""
    series = scenario.details["availability"]
    times = [t for t, _ in series]
    counts = [c for _, c in series]
    image = ax.imshow(list(zip(*counts, strict=True)), aspect="auto", origin="lower",
                      interpolation="nearest", cmap="viridis",
                      extent=(times[0], times[-1] + 1, -0.5, len(counts[0]) - 0.5))
    ax.figure.colorbar(image, ax=ax, label="peers holding the piece")
    for piece in scenario.details.get("lost_pieces", []):
        ax.axhline(piece, color="red", linewidth=0.5)
    ax.set_xlabel("time since the swarm started (s)")
    ax.set_ylabel("piece (red: lost)")


def _draw_unchoke_graph(ax, scenario) -> None:
    """Who unchoked whom, as a matrix (a graph of 25 peers is a hairball):
    the colour is the seconds a row's peer held a column's peer in a regular
    slot; an orange dot's size, the seconds it held it optimistically."""
    graph = scenario.details["unchoke_graph"]
    hosts = sorted(set(graph) | {o for n in graph.values() for o in n},
                   key=lambda h: (len(h), h))
    index = {h: i for i, h in enumerate(hosts)}
    regular = [[0] * len(hosts) for _ in hosts]
    dots = []
    for giver, edges in graph.items():
        for taker, seconds in edges.items():
            regular[index[giver]][index[taker]] = seconds["regular"]
            if seconds["optimistic"]:
                dots.append((index[taker], index[giver], seconds["optimistic"]))
    image = ax.imshow(regular, cmap="Blues", interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, label="seconds in a regular slot")
    if dots:
        most = max(d[2] for d in dots)
        ax.scatter([d[0] for d in dots], [d[1] for d in dots], color="tab:orange",
                   s=[4 + 40 * d[2] / most for d in dots], label="optimistic (size: seconds)")
    riders = set(scenario.details.get("free_riders", []))
    labels = [f"{h}*" if h in riders else h for h in hosts]
    ax.set_xticks(range(len(hosts)), labels, rotation=90, fontsize="xx-small")
    ax.set_yticks(range(len(hosts)), labels, fontsize="xx-small")
    ax.set_xlabel("unchoked peer (* free-rider)")
    ax.set_ylabel("unchoking peer")


def _has(key: str):
    return lambda scenario: bool(scenario.details.get(key))


PLOTS = (ScenarioPlot("bt_progress", "Each leecher's share of the file over time",
                      _draw_progress, _has("progress"), panel_size=(7.0, 4.9)),
         ScenarioPlot("bt_availability", "How many running peers hold each piece",
                      _draw_availability, _has("availability"), panel_size=(7.0, 4.9),
                      share_y=False),
         ScenarioPlot("bt_unchoke", "Who unchoked whom, and for how long",
                      _draw_unchoke_graph, _has("unchoke_graph"), panel_size=(6.0, 4.2),
                      share_y=False))
