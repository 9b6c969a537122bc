"""Distributing a file of F bits to N clients (Kurose & Ross, "P2P file
distribution"): the time until the last client has it, against the slides'
lower bounds, with the server's upload u_s, each client's upload u_i and the
slowest client's download d_min read from the topology's links:

- client-server (an HTTP server, clients downloading in parallel):
  D_cs >= max{N F / u_s, F / d_min};
- P2P (a BitTorrent swarm, the server its initial seed):
  D_P2P >= max{F / u_s, F / d_min, N F / (u_s + sum u_i)}.

A scenario is one of the two at one N; the plot puts every scenario's
measurement on the two bounds' curves. Each time runs from the first
client's start to the last one's finish, as the clients logged them.

The fluid bound lets a client pass on every bit as it arrives; a swarm
passes on whole pieces (10 of the file here). Beside it, for P2P, the bound
of a model that counts pieces: a piece can be uploaded only once it has
fully arrived, and each upload goes first to a client that holds nothing,
so the number of uploaders grows as fast as it can. Its start-up, about
log2 N piece times, is what the fluid bound leaves out at large N.
"""
from __future__ import annotations

import heapq
import math

from orchestrator.experiment.models.base import Quantity, Requires
from orchestrator.experiment.plots import ExperimentPlot
from orchestrator.experiment.resources import MACHINE_BUSY_PERCENT, saturated_seconds
from services.p2p.peer import BtPeer, BtSeed
from services.web.file_client import FileClient

CHECKS = ("distribution_time", "bound_ratio", "copies_intact", "cs_bound_over_p2p",
          "piece_bound_ratio", "machine_saturated_share")
REQUIRES = Requires()
CLIENT_ROLES = {FileClient.role: "client-server", BtPeer.role: "P2P"}


def cs_bound_s(n: int, f_bits: float, u_s: float, d_min: float) -> float:
    return max(n * f_bits / u_s, f_bits / d_min)


def p2p_bound_s(n: int, f_bits: float, u_s: float, d_min: float, uploads: list[float]) -> float:
    return max(f_bits / u_s, f_bits / d_min, n * f_bits / (u_s + sum(uploads)))


def piece_bound_s(n: int, f_bits: float, pieces: int, u_s: float, d_min: float,
                  uploads: list[float]) -> float:
    """The P2P bound when clients pass on whole pieces: every copy of a piece
    (F / pieces bits) takes its sender's upload time; one goes first to a
    client holding nothing, which then uploads too (the fastest first). The
    time the N x pieces copies take, and never less than the fluid bound."""
    piece_bits = f_bits / pieces
    waiting = sorted(uploads, reverse=True)      # clients yet to hold a piece
    sends = [(piece_bits / u_s, piece_bits / u_s)]   # (next copy done at, per copy)
    copies = done_at = 0
    while copies < n * pieces:
        done_at, per_copy = heapq.heappop(sends)
        copies += 1
        if waiting:
            upload = waiting.pop(0)
            heapq.heappush(sends, (done_at + piece_bits / upload, piece_bits / upload))
        heapq.heappush(sends, (done_at + per_copy, per_copy))
    return max(done_at, p2p_bound_s(n, f_bits, u_s, d_min, uploads))


def host_rates_bps(topo, host: str) -> tuple[float, float]:
    """A host's upload and download: its one access link's rates each way."""
    [peer] = [b if a == host else a for a, b in topo.links() if host in (a, b)]
    up, down = topo.rateMbps(host, peer), topo.rateMbps(peer, host)
    if up is None or down is None:
        raise ValueError(f"{host}'s link has no rate: the bounds need u and d")
    return up * 1e6, down * 1e6


def setting(spec) -> dict:
    """N, F, the server, and the rates the bounds take, from the spec."""
    topo = spec.topology.build()
    [(name, workload)] = [(n, w) for n, w in spec.all_workloads.items()
                          if w.role in CLIENT_ROLES]
    mode = CLIENT_ROLES[workload.role]
    def params_of(service):  # a service's parameters over its role's defaults
        return {**spec.catalogue.roles[service.role].defaults, **service.params}

    pieces = None
    if mode == "P2P":
        tracker = params_of(spec.services[workload.params["tracker"]])
        f_bits = 8 * tracker["file_bytes"]
        pieces = math.ceil(tracker["file_bytes"] / (tracker["piece_kb"] * 1024))
        server_host = next(w.hosts[0] for w in spec.all_workloads.values()
                           if w.role == BtSeed.role)
    else:
        server = spec.services[workload.params["server"]]
        f_bits = params_of(server)["object_bits"]
        server_host = server.host
    u_s, _ = host_rates_bps(topo, server_host)
    rates = [host_rates_bps(topo, host) for host in workload.hosts]
    return {"mode": mode, "workload": name, "n": len(workload.hosts), "f_bits": f_bits,
            "pieces": pieces,
            "u_s": u_s, "uploads": [u for u, _ in rates], "d_min": min(d for _, d in rates)}


def quantities(spec, run) -> tuple[list[Quantity], dict]:
    s = setting(spec)
    rows = run.rows(s["workload"])
    done = [r for r in rows if r["kind"] == "completed"]
    started = [float(r["time"]) for r in rows if r["kind"] == "started"]
    finished = len({r["client"] for r in done})
    d_measured = (max(float(r["time"]) for r in done) - min(started)
                  if done and started and finished == s["n"] else None)
    saturated_share = (saturated_seconds(run.resources.get("cores_busy", []), min(started),
                                         min(started) + d_measured) / d_measured
                       if d_measured else None)
    cs = cs_bound_s(s["n"], s["f_bits"], s["u_s"], s["d_min"])
    p2p = p2p_bound_s(s["n"], s["f_bits"], s["u_s"], s["d_min"], s["uploads"])
    bound = cs if s["mode"] == "client-server" else p2p
    intact = [r for r in done if r["intact"] == "True"]
    formula = ("max{N F/u_s, F/d_min}" if s["mode"] == "client-server"
               else "max{F/u_s, F/d_min, N F/(u_s + Σu_i)}")
    found = [
        Quantity("distribution_time", d_measured, bound, "s",
                 f"{s['mode']}, N = {s['n']}: the slides' lower bound {formula} with "
                 f"F = {s['f_bits'] / 1e6:g} Mb, u_s = {s['u_s'] / 1e6:g} Mb/s, "
                 f"u = {min(s['uploads']) / 1e6:g} Mb/s, d_min = {s['d_min'] / 1e6:g} Mb/s"),
        Quantity("bound_ratio", d_measured / bound if d_measured else None, 1.0, "",
                 "measured time over the bound: never below 1 beyond the measurement's error"),
        Quantity("copies_intact", len(intact) / s["n"], 1.0, "",
                 "clients whose copy has the file's SHA-256"),
    ]
    pieces = None
    if s["mode"] == "P2P":
        pieces = piece_bound_s(s["n"], s["f_bits"], s["pieces"], s["u_s"], s["d_min"],
                               s["uploads"])
        found += [
            Quantity("cs_bound_over_p2p", cs / d_measured if d_measured else None, None, "",
                     f"the client-server bound at N = {s['n']} ({cs:.1f} s) over the swarm's "
                     "measured time: how much faster P2P distributes"),
            Quantity("piece_bound_ratio", d_measured / pieces if d_measured else None, 1.0, "",
                     f"measured time over the bound of a model that counts the file's "
                     f"{s['pieces']} pieces ({pieces:.1f} s): a piece is passed on only "
                     "once it has fully arrived")]
    found.append(Quantity(
        "machine_saturated_share", saturated_share, None, "",
        f"share of the distribution time in which the machine's cores were at least "
        f"{MACHINE_BUSY_PERCENT:g} % busy: above 0, the machine, not only the links, "
        "may have held the clients back"))
    return found, {**s, "distribution_s": d_measured, "bound_s": bound,
                   "cs_bound_s": cs, "p2p_bound_s": p2p, "piece_bound_s": pieces,
                   "machine_saturated_share": saturated_share, "finished": finished}


def report_lines(details: dict) -> list[str]:
    measured = details.get("distribution_s")
    return [f"{details['mode']} N={details['n']}: D = "
            + (f"{measured:.2f} s" if measured is not None else "not finished")
            + f", bound {details['bound_s']:.2f} s (client-server bound "
            f"{details['cs_bound_s']:.2f} s, P2P bound {details['p2p_bound_s']:.2f} s"
            + (f", counting pieces {details['piece_bound_s']:.2f} s"
               if details.get("piece_bound_s") else "")
            + ")" + (f"; the cores saturated {100 * details['machine_saturated_share']:.0f} % "
                     "of the time" if details.get("machine_saturated_share") is not None
                     else "")]


def _draw_bounds(ax, scenarios: dict) -> bool:
    """The slide's figure: both bounds against N, and each scenario's time."""
    measured = [s.details for s in scenarios.values() if "distribution_s" in s.details]
    if not measured:
        return False
    first = measured[0]
    ns = list(range(1, max(35, max(d["n"] for d in measured)) + 1))
    per_client = min(first["uploads"])
    ax.plot(ns, [cs_bound_s(n, first["f_bits"], first["u_s"], first["d_min"]) for n in ns],
            color="tab:red", label="client-server bound")
    ax.plot(ns, [p2p_bound_s(n, first["f_bits"], first["u_s"], first["d_min"],
                             [per_client] * n) for n in ns],
            color="tab:blue", label="P2P bound")
    swarm = next((d for d in measured if d.get("pieces")), None)
    if swarm is not None:
        ax.plot(ns, [piece_bound_s(n, swarm["f_bits"], swarm["pieces"], swarm["u_s"],
                                   swarm["d_min"], [per_client] * n) for n in ns],
                color="tab:blue", linestyle="--",
                label=f"P2P bound counting {swarm['pieces']} pieces")
    for mode, color in (("client-server", "tab:red"), ("P2P", "tab:blue")):
        points = [(d["n"], d["distribution_s"]) for d in measured
                  if d["mode"] == mode and d["distribution_s"] is not None]
        if points:
            ax.plot(*zip(*sorted(points), strict=True), "o", color=color,
                    label=f"{mode}: measured")
    ax.set_xlabel("N (clients)")
    ax.set_ylabel("time to distribute the file (s)")
    return True


PLOTS = (ExperimentPlot("distribution", "Time to distribute the file against N: both bounds "
                        "and each scenario's measured time", _draw_bounds),)
