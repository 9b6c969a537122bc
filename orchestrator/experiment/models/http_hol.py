"""Head-of-line blocking: one large object and a few small ones on one
connection (Kurose & Ross, "HTTP/2").

HTTP/1.1 answers requests first come, first served, so the small objects wait
behind the large one; HTTP/2 interleaves frames of every stream, so they finish
almost at once. Predicted completion times (from the request, on a connection
that has carried the base page) come from the page-load model's path
simulation:

- HTTP/1.1: the small objects finish after the large one and themselves;
- HTTP/2: the client grants each stream HTTP/2's default window (64 KB), so
  the large response can run at most one window ahead of the small ones, which
  then go out: they are done after about one window plus their own bytes.

Loss on the link stalls every stream of the one TCP connection (HOL moves down
a layer): ``small_stall_http2`` is how much later than the clean-link model the
small objects finished, at worst.
"""
from __future__ import annotations

import statistics

from orchestrator.experiment.models.base import Quantity, Requires
from orchestrator.experiment.models.http_pages import Connection, Path, Simulation, path_of, respond
from services.web.http_modes import H2_STREAM_WINDOW_BYTES
from services.web.page_client import PageClient

MODES = ("pipelined", "http2")
CHECKS = tuple(f"{kind}_{mode}" for mode in MODES
               for kind in ("small_before_large", "small_done", "small_stall"))

REQUIRES = Requires(workload_roles=(PageClient.role,))


def transfer_s(path: Path, body: int, cwnd: int = 10) -> float:
    """From sending a request on an open connection to the response's last byte."""
    sim = Simulation(path)
    finished: list[float] = []
    respond(sim, Connection(cwnd=cwnd), 0.0, body, finished.append)
    sim.run()
    return finished[0]


def predicted_small_done_s(mode: str, path: Path, large: int, small: list[int]) -> float:
    if mode == "pipelined":
        return transfer_s(path, large + sum(small))
    return transfer_s(path, min(large, H2_STREAM_WINDOW_BYTES) + sum(small))


def loads(rows: list[dict], mode: str) -> list[tuple[dict, list[dict]]]:
    """Per page load in ``mode``: its large object and its small ones (the
    page aside)."""
    by_load: dict[str, list[dict]] = {}
    for row in rows:
        if row["mode"] == mode and not row["path"].endswith(".html"):
            by_load.setdefault(row["run"], []).append(row)
    out = []
    for objects in by_load.values():
        large = max(objects, key=lambda r: int(r["body_bytes"]))
        out.append((large, [r for r in objects if r is not large]))
    return out


def per_run(rows: list[dict], mode: str) -> list[dict]:
    """Per page load: when the large and the small objects finished, from the
    moment the objects were requested."""
    out = []
    for large, small in loads(rows, mode):
        sent = min(float(r["request_sent"]) for r in (large, *small))
        out.append({"large_done": float(large["last_byte"]) - sent,
                    "small_done": [float(r["last_byte"]) - sent for r in small]})
    return out


def quantities(spec, run) -> tuple[list[Quantity], dict]:
    _, path = path_of(spec)
    client = spec.workload_of_role(PageClient.role).params
    objects = spec.services[client["origin"]].params["page_objects"]
    large, small = objects[0], objects[1:]
    result, details = [], {}
    for mode in client.get("modes", MODES):
        runs = per_run(run.rows(), mode)
        if not runs:
            continue
        details[mode] = runs
        pairs = [(s, r["large_done"]) for r in runs for s in r["small_done"]]
        before = sum(1 for s, big in pairs if s < big) / len(pairs)
        worst = max(max(r["small_done"]) for r in runs)
        predicted = predicted_small_done_s(mode, path, large, small)
        result += [
            Quantity(f"small_before_large_{mode}", before, 1.0 if mode == "http2" else 0.0, "",
                     "share of small objects whose last byte came before the large "
                     "object's: HTTP/2 interleaves, HTTP/1.1 serves first come first served"),
            Quantity(f"small_done_{mode}", statistics.median(
                max(r["small_done"]) for r in runs), predicted, "s",
                f"median over {len(runs)} loads of the last small object's completion, "
                "from the request", rtt_s=path.rtt_s),
            Quantity(f"small_stall_{mode}", worst - predicted, 0.0, "s",
                     "worst completion of a small object beyond the clean-link model: "
                     "loss on the one TCP connection stalls every stream", rtt_s=path.rtt_s),
        ]
    return result, {"loads": details}
