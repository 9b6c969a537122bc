"""Results: per-scenario files, summary.json with its checks, the printed
table (measured | predicted | slide) and the plots."""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend is chosen first
from rich.table import Table  # noqa: E402

from orchestrator.experiment.metrics import write_csv  # noqa: E402
from orchestrator.experiment.models import Check, Quantity, evaluate  # noqa: E402
from orchestrator.experiment.portstats import agreement_quantity  # noqa: E402
from orchestrator.experiment.result import RunResult  # noqa: E402
from orchestrator.experiment.scenario import write_json  # noqa: E402
from orchestrator.experiment.spec import ResolvedSpec  # noqa: E402

# Labels (and order) of known quantities in the printed table; others show as named.
TABLE_LABELS = {"access_utilisation": "access util.", "lan_utilisation": "LAN util.",
                    "mean_delay": "mean delay (s)", "delay_growth": "delay growth (s/s)",
                    "hit_rate": "hit rate", "port_stats_agreement": "OpenFlow vs counters"}


@dataclass
class ScenarioResult:
    spec: ResolvedSpec
    quantities: list[Quantity]
    checks: list[Check]
    details: dict
    run: RunResult

    @property
    def ok(self) -> bool:
        return all(c.ok is not False for c in self.checks)

    def summary(self) -> dict:
        return {"title": self.spec.scenario_title, "realizer": self.run.realizer,
                "switch": self.spec.switch, "datapath": self.run.datapath,
                "controller": self.spec.controller.app if self.spec.controller else None,
                "checks": [c.as_dict() for c in self.checks],
                "quantities": [asdict(q) for q in self.quantities],
                "details": self.details, "services": self.run.services,
                "link_stats": self.run.link_stats, "window": self.run.window,
                "events": [e.row() for e in self.run.events], "phases_s": self.run.phases,
                "resources": self.run.resources}


def evaluate_scenario(spec: ResolvedSpec, run: RunResult) -> ScenarioResult:
    quantities, details = spec.catalogue.models[spec.model].quantities(spec, run)
    if run.port_stats:
        agreement, details["port_stats"] = agreement_quantity(run)
        quantities = [*quantities, agreement]
    by_name = {q.name: q for q in quantities}
    checks = []
    for name, bounds in spec.checks.items():
        quantity = by_name.get(name) or Quantity(name, None, None, "",
                                                 "not measured in this scenario")
        checks.append(evaluate(quantity, bounds))
    return ScenarioResult(spec, quantities, checks, details, run)


def write_scenario(run_dir: Path, result: ScenarioResult) -> None:
    """requests.csv (every workload's rows, with the workload named where
    there are several), utilisation.csv (and utilisation_openflow.csv, by a
    controller's port counters), events.csv, summary.json, and a CSV for
    each table the model gives (``details["tables"]``)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    several = len(result.run.workloads) > 1
    write_csv(run_dir / "requests.csv",
              [{"workload": name, **row} if several else row
               for name, workload in result.run.workloads.items() for row in workload.rows])
    rows = [{"link": name, **row} for name, series in result.run.links.items()
            for row in series.rows]
    write_csv(run_dir / "utilisation.csv", rows)
    if result.run.port_stats:  # the same monitors, by the controller's port counters
        write_csv(run_dir / "utilisation_openflow.csv",
                  [{"link": name, **row} for name, series in result.run.port_stats.items()
                   for row in series.rows])
    write_csv(run_dir / "events.csv", [e.row() for e in result.run.events])
    for name, rows in result.details.get("tables", {}).items():
        write_csv(run_dir / f"{name}.csv", rows)
    write_json(run_dir / "summary.json", result.summary())


def fmt(value) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100 or value == 0:
        return f"{value:.4g}"
    return f"{value:.4f}" if abs(value) < 0.1 else f"{value:.3f}"


def table(results: dict[str, ScenarioResult]) -> Table:
    out = Table(title="measured | predicted (stated model) | slide",
                caption="; ".join(f"{n}: {r.spec.scenario_title}" for n, r in results.items()))
    out.add_column("scenario")
    out.add_column("quantity")
    for column in ("measured", "predicted", "slide", "check", "tolerance"):
        out.add_column(column, justify="right", no_wrap=True)
    for name, result in results.items():
        checks = {c.name: c for c in result.checks}
        for q in sorted(result.quantities, key=lambda q: list(TABLE_LABELS).index(q.name)
                        if q.name in TABLE_LABELS else len(TABLE_LABELS)):
            label = TABLE_LABELS.get(q.name, q.name)
            check = checks.get(q.name)
            verdict = "" if check is None or check.ok is None else (
                "[green]ok[/green]" if check.ok else "[red]FAIL[/red]")
            textbook = check.textbook if check else q.textbook
            out.add_row(name, label, fmt(q.measured), fmt(q.predicted), fmt(textbook),
                        verdict, check.tolerance if check else "")
    return out


def detail_lines(results: dict[str, ScenarioResult]) -> list[str]:
    """What each scenario's model has to say beyond the table."""
    lines = []
    for name, result in results.items():
        model = result.spec.catalogue.models[result.spec.model]
        if hasattr(model, "report_lines"):
            lines += [f"{name}: {line}" for line in model.report_lines(result.details)]
    return lines


def plot(run_dir: Path, results: dict[str, ScenarioResult], kinds: list[str]) -> list[Path]:
    written = []
    if "utilisation" in kinds:
        fig, ax = plt.subplots(figsize=(8, 4))
        monitor = next(iter(next(iter(results.values())).spec.monitor), None)
        for name, result in results.items():
            series = result.run.utilisation(monitor)
            start = result.run.window[0]
            line, = ax.plot([r["time"] - start for r in series], [r["down"] for r in series],
                            label=f"{name}: {result.spec.scenario_title}")
            _mark_events(ax, result.run, line.get_color())
        ax.set_xlabel("time since workload start (s)")
        ax.set_ylabel(f"{monitor} utilisation (downstream)")
        ax.set_ylim(bottom=0)
        written.append(_finish(fig, ax, run_dir / "utilisation.png"))
    if "delay_cdf" in kinds:
        fig, ax = plt.subplots(figsize=(8, 4))
        for name, result in results.items():
            delays = sorted(float(r["delay_s"]) for r in result.run.rows()
                            if not r.get("error"))
            if delays:
                ax.step(delays, [(i + 1) / len(delays) for i in range(len(delays))],
                        where="post", label=f"{name}: {result.spec.scenario_title}")
        ax.set_xscale("log")
        ax.set_xlabel("request delay (s)")
        ax.set_ylabel("CDF")
        written.append(_finish(fig, ax, run_dir / "delay_cdf.png"))
    if "delay_time" in kinds:
        fig, ax = plt.subplots(figsize=(8, 4))
        for name, result in results.items():
            start = result.run.window[0]
            done = [r for r in result.run.rows() if not r.get("error")]
            points, = ax.plot([float(r["start"]) - start for r in done],
                              [float(r["delay_s"]) for r in done], ".", markersize=2,
                              label=f"{name}: {result.spec.scenario_title}")
            _mark_events(ax, result.run, points.get_color())
        ax.set_xlabel("request time since workload start (s)")
        ax.set_ylabel("request delay (s)")
        ax.set_yscale("log")
        written.append(_finish(fig, ax, run_dir / "delay_time.png", markerscale=4))
    if "page_load" in kinds:
        fig, ax = plt.subplots(figsize=(8, 4))
        names = [q.name.removeprefix("plt_") for q in next(iter(results.values())).quantities]
        for offset, (name, result) in enumerate(results.items()):
            xs = [i + 0.8 * offset / len(results) for i in range(len(result.quantities))]
            ax.plot(xs, [q.measured for q in result.quantities], "o",
                    label=f"{name}: measured")
            ax.plot(xs, [q.predicted for q in result.quantities], "x", color="black",
                    label="model" if offset == 0 else None)
        ax.set_xticks(range(len(names)), names)
        ax.set_ylabel("page-load time (s)")
        ax.set_yscale("log")
        written.append(_finish(fig, ax, run_dir / "page_load.png"))
    if "distribution" in kinds:
        # The slide's figure: both bounds against N, and each scenario's time.
        measured = [r.details for r in results.values() if "distribution_s" in r.details]
        if measured:
            from orchestrator.experiment.models.distribution import cs_bound_s, p2p_bound_s

            fig, ax = plt.subplots(figsize=(8, 4))
            first = measured[0]
            largest = max(d["n"] for d in measured)
            ns = list(range(1, max(35, largest) + 1))
            per_client = min(first["uploads"])
            ax.plot(ns, [cs_bound_s(n, first["f_bits"], first["u_s"], first["d_min"])
                         for n in ns], color="tab:red", label="client-server bound")
            ax.plot(ns, [p2p_bound_s(n, first["f_bits"], first["u_s"], first["d_min"],
                                     [per_client] * n) for n in ns],
                    color="tab:blue", label="P2P bound")
            for mode, color in (("client-server", "tab:red"), ("P2P", "tab:blue")):
                points = [(d["n"], d["distribution_s"]) for d in measured
                          if d["mode"] == mode and d["distribution_s"] is not None]
                if points:
                    ax.plot(*zip(*sorted(points), strict=True), "o", color=color,
                            label=f"{mode}: measured")
            ax.set_xlabel("N (clients)")
            ax.set_ylabel("time to distribute the file (s)")
            written.append(_finish(fig, ax, run_dir / "distribution.png"))
    for kind, (key, draw, width) in PANEL_PLOTS.items():
        if kind in kinds:
            written += _scenario_panels(results, key, draw, run_dir / f"{kind}.png", width)
    if "mail_queue" in kinds:
        # Scenarios that watched a queue: its length and the mail fetched so far.
        watched = {n: r for n, r in results.items() if r.details.get("queue")}
        if watched:
            fig, ax = plt.subplots(figsize=(8, 4))
            for name, result in watched.items():
                times, lengths = zip(*result.details["queue"], strict=True)
                line, = ax.step(times, lengths, where="post",
                                label=f"{name}: messages in the sender's queue")
                fetched = sorted(result.details.get("fetched_s", []))
                if fetched:
                    ax.step(fetched, range(1, len(fetched) + 1), where="post", linestyle=":",
                            color=line.get_color(), label=f"{name}: messages fetched")
                _mark_events(ax, result.run, line.get_color())
            ax.set_xlabel("time since workload start (s)")
            ax.set_ylabel("messages")
            written.append(_finish(fig, ax, run_dir / "mail_queue.png"))
    return written


def _mark_events(ax, run: RunResult, color) -> None:
    """A dashed line and a label at each event's time, as it happened."""
    for at_s, label in run.event_times():
        ax.axvline(at_s, color=color, linestyle="--", linewidth=1)
        ax.annotate(label, (at_s, 1), xycoords=("data", "axes fraction"), rotation=90,
                    va="top", ha="right", fontsize="x-small", color=color)


def _scenario_panels(results: dict[str, ScenarioResult], key: str, draw, path: Path,
                     width: float) -> list[Path]:
    """One panel per scenario whose details have ``key``, drawn by ``draw``."""
    shown = {n: r for n, r in results.items() if r.details.get(key)}
    if not shown:
        return []
    fig, axes = plt.subplots(1, len(shown), figsize=(width * len(shown), width * 0.7),
                             squeeze=False)
    for ax, (name, result) in zip(axes[0], shown.items(), strict=True):
        draw(ax, result)
        ax.set_title(f"{name}: {result.spec.scenario_title}", fontsize="small")
    return [_save(fig, path)]


def _draw_progress(ax, result: ScenarioResult) -> None:
    """Each leecher's share of the file over time; free-riders dashed."""
    details = result.details
    riders = details.get("free_riders", [])
    for host, series in sorted(details["progress"].items()):
        times, shares = zip(*series, strict=True)
        rider = host in riders
        ax.plot(times, shares, linewidth=2 if rider else 1, linestyle="--" if rider else "-",
                label=f"{host} (free-rider)" if rider else host)
    ax.set_xlabel("time since the swarm started (s)")
    ax.set_ylabel("share of the file held")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="xx-small", ncol=2)


def _draw_availability(ax, result: ScenarioResult) -> None:
    """How many running peers hold each piece, second by second."""
    details = result.details
    times = [t for t, _ in details["availability"]]
    counts = [c for _, c in details["availability"]]
    image = ax.imshow(list(zip(*counts, strict=True)), aspect="auto", origin="lower",
                      interpolation="nearest", cmap="viridis",
                      extent=(times[0], times[-1] + 1, -0.5, len(counts[0]) - 0.5))
    ax.figure.colorbar(image, ax=ax, label="peers holding the piece")
    for piece in details.get("lost_pieces", []):
        ax.axhline(piece, color="red", linewidth=0.5)
    ax.set_xlabel("time since the swarm started (s)")
    ax.set_ylabel("piece (red: lost)")


def _draw_playback(ax, result: ScenarioResult) -> None:
    """Each player's bitrate (steps) and buffer (dotted, right axis), with the
    bottleneck's capacity and the timeline's events."""
    details = result.details
    buffers = ax.twinx()
    for host, segments in sorted(details["segments"].items()):
        times = [s["t"] for s in segments]
        line, = ax.step(times, [s["bitrate_mbps"] for s in segments], where="post",
                        label=f"{host} bitrate")
        buffers.plot(times, [s["buffer_s"] for s in segments], linestyle=":",
                     color=line.get_color(), label=f"{host} buffer")
    for phase in details.get("schedule", []):
        ax.plot([phase["from"], phase["to"]], [phase["mbps"]] * 2, color="black",
                linewidth=2, alpha=0.4)
    _mark_events(ax, result.run, "grey")
    ax.set_xlabel("time since the workloads started (s)")
    ax.set_ylabel("bitrate, and the link's capacity in grey (Mb/s)")
    buffers.set_ylabel("buffer (s)")
    ax.set_ylim(bottom=0)
    buffers.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="x-small", loc="upper left")


def _draw_edge_requests(ax, result: ScenarioResult) -> None:
    """Segments each server sent per 5 s: which edges the players used, when."""
    per_server: dict[str, Counter] = {}
    for segments in result.details["segments"].values():
        for segment in segments:
            bin_s = 5 * int(segment["t"] // 5)
            per_server.setdefault(segment["edge"], Counter())[bin_s] += 1
    names = {ip: host for host, ip in result.run.addresses.items()}
    for server, counts in sorted(per_server.items()):
        times = sorted(counts)
        ax.step(times, [counts[t] for t in times], where="post", label=names.get(server, server))
    _mark_events(ax, result.run, "grey")
    ax.set_xlabel("time since the workloads started (s)")
    ax.set_ylabel("segments served per 5 s")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="x-small")


def _draw_unchoke_graph(ax, result: ScenarioResult) -> None:
    """Who unchoked whom, as a matrix (a graph of 25 peers is a hairball):
    the colour is the seconds a row's peer held a column's peer in a regular
    slot; an orange dot's size, the seconds it held it optimistically."""
    details = result.details
    graph = details["unchoke_graph"]
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
        ax.legend(fontsize="x-small", loc="upper right")
    riders = set(details.get("free_riders", []))
    labels = [f"{h}*" if h in riders else h for h in hosts]
    ax.set_xticks(range(len(hosts)), labels, rotation=90, fontsize="xx-small")
    ax.set_yticks(range(len(hosts)), labels, fontsize="xx-small")
    ax.set_xlabel("unchoked peer (* free-rider)")
    ax.set_ylabel("unchoking peer")


# Plots of one panel per scenario whose details have a key: kind -> (key,
# drawing, panel width in inches); each is written to <kind>.png.
def _draw_object_completion(ax, result: ScenarioResult) -> None:
    """Each load's objects, per protocol: small ones as dots, the large one
    as a cross, from request to last byte."""
    for x, per_load in enumerate(result.details["objects_s"].values()):
        for i, load in enumerate(per_load):
            at = x + 0.6 * (i + 0.5) / len(per_load) - 0.3
            ax.plot([at] * len(load["small"]), load["small"], ".", color="tab:blue",
                    label="small objects" if x == i == 0 else None)
            ax.plot(at, load["large"], "x", color="tab:red",
                    label="the large object" if x == i == 0 else None)
    modes = list(result.details["objects_s"])
    ax.set_xticks(range(len(modes)), modes)
    ax.set_yscale("log")
    ax.set_ylabel("from request to last byte (s)")
    ax.legend(fontsize="small")


PANEL_PLOTS = {"object_completion": ("objects_s", _draw_object_completion, 5),
               "bt_progress": ("progress", _draw_progress, 7),
               "bt_availability": ("availability", _draw_availability, 7),
               "bt_unchoke": ("unchoke_graph", _draw_unchoke_graph, 6),
               "dash_playback": ("schedule", _draw_playback, 7),
               "dash_edges": ("segments", _draw_edge_requests, 7)}


def _finish(fig, ax, path: Path, **legend) -> Path:
    """Grid, legend, layout, write, close: the same for every plot."""
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", **legend)
    return _save(fig, path)


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
