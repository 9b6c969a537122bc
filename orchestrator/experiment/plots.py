"""Plots: what a model declares in its ``PLOTS``, and how a run draws them.

- A ``ScenarioPlot`` draws one scenario on one set of axes. Each scenario
  gets its own image (``SCENARIO/NAME.png``), and the run one figure of them
  side by side (``NAME.png``), never several scenarios on one set of axes.
  Its ``references`` name checks whose prediction and slide value are drawn
  on it as lines.
- An ``ExperimentPlot`` draws every scenario on one set of axes, for a
  figure that is about the scenarios together (bounds against N).

Figures are made with matplotlib's object API, without pyplot: importing
this module, or a model that declares plots, chooses no backend.
"""
from __future__ import annotations

import functools
import math
import os
import textwrap
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from matplotlib.figure import Figure

from orchestrator.experiment.result import RunResult, ScenarioResult

# Panels side by side before the next row.
PANELS_PER_ROW = 3
DPI = 120
# A panel's title wraps at this many characters: a long one ran past its panel.
TITLE_CHARS = 60
# Legend entries in one column; more take two.
LEGEND_ROWS = 14
MODEL_STYLE = {"color": "black", "linestyle": "--", "linewidth": 1.2}
SLIDE_STYLE = {"color": "tab:red", "linestyle": ":", "linewidth": 1.6}


@dataclass(frozen=True)
class Reference:
    """A check drawn as lines: its prediction (model) and its slide value."""

    check: str
    axis: Literal["x", "y"] = "y"


@dataclass(frozen=True)
class ScenarioPlot:
    """``draw(ax, scenario)`` draws one scenario; ``shows(scenario)`` says
    whether the scenario has what it draws."""

    name: str
    caption: str
    draw: Callable[[object, ScenarioResult], None]
    shows: Callable[[ScenarioResult], bool] = lambda scenario: True
    references: tuple[Reference, ...] = ()
    panel_size: tuple[float, float] = (6.0, 3.6)
    share_y: bool = True

    def referring_to(self, *checks: str, axis: Literal["x", "y"] = "y") -> ScenarioPlot:
        """This plot with the named checks drawn as reference lines."""
        return replace(self, references=self.references
                       + tuple(Reference(c, axis) for c in checks))


@dataclass(frozen=True)
class ExperimentPlot:
    """``draw(ax, scenarios)`` draws them all on one set of axes; it returns
    False when none has what it draws."""

    name: str
    caption: str
    draw: Callable[[object, dict[str, ScenarioResult]], bool]
    size: tuple[float, float] = (8.0, 4.0)


Plot = ScenarioPlot | ExperimentPlot


def draw_references(ax, plot: ScenarioPlot, scenario: ScenarioResult) -> None:
    checks = {c.name: c for c in scenario.checks}
    for reference in plot.references:
        check = checks.get(reference.check)
        if check is None:
            continue
        line = ax.axhline if reference.axis == "y" else ax.axvline
        for value, label, style in ((check.predicted, "model", MODEL_STYLE),
                                    (check.textbook, "slide", SLIDE_STYLE)):
            if value is not None and math.isfinite(value):
                line(value, label=f"{label}: {check.name} {value:.3g}", **style)


def _panel(ax, plot: ScenarioPlot, scenario: ScenarioResult, title: str) -> None:
    plot.draw(ax, scenario)
    draw_references(ax, plot, scenario)
    ax.set_title("\n".join(textwrap.wrap(title, TITLE_CHARS)), fontsize="small")
    ax.grid(alpha=0.3)
    legend(ax)


def legend(ax) -> None:
    """Beside the axes, never over the data."""
    handles, _ = ax.get_legend_handles_labels()
    if handles:
        ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  ncol=1 if len(handles) <= LEGEND_ROWS else 2, borderaxespad=0)


def scenario_figure(plot: ScenarioPlot, scenario: ScenarioResult) -> Figure:
    figure = Figure(figsize=plot.panel_size, layout="constrained")
    _panel(figure.subplots(), plot, scenario, f"{scenario.name}: {scenario.title}")
    return figure


def side_by_side_figure(plot: ScenarioPlot, scenarios: list[ScenarioResult]) -> Figure:
    """Small multiples: one panel per scenario, the y axes shared where the
    plot says they compare."""
    columns = min(PANELS_PER_ROW, len(scenarios))
    rows = math.ceil(len(scenarios) / columns)
    width, height = plot.panel_size
    figure = Figure(figsize=(width * columns, height * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False, sharey=plot.share_y)
    flat = [ax for row in axes for ax in row]
    for ax, scenario in zip(flat, scenarios, strict=False):
        _panel(ax, plot, scenario, f"{scenario.name}: {scenario.title}")
    for ax in flat[len(scenarios):]:
        ax.set_visible(False)
    return figure


def save(figure: Figure, path: Path) -> Path:
    """Written whole, then renamed: a page never links a half-written image."""
    partial = path.with_name(f".{path.stem}.partial.png")
    figure.savefig(partial, dpi=DPI)
    partial.replace(path)
    return path


@dataclass(frozen=True)
class DrawnPlot:
    """A plot as written: the run's figure and each scenario's own image."""

    name: str
    caption: str
    figure: Path
    per_scenario: dict[str, Path]


class DrawingFailed(RuntimeError):
    """A figure could not be drawn; what went wrong was printed by its process."""


def save_all(figures: list[tuple[Callable[[], Figure], Path]],
             processes: int | None = None) -> None:
    """Draw and save each figure, in forked processes side by side, one per
    core: matplotlib draws on one, and a run's report has a figure per plot
    and scenario. The figures are closures, so nothing is pickled."""
    if not figures:
        return
    processes = min(len(figures), processes or len(os.sched_getaffinity(0)))
    children = []
    for share in range(1, processes):
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                for make, path in figures[share::processes]:
                    save(make(), path)
                status = 0
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(status)
        children.append(pid)
    try:
        for make, path in figures[0::processes]:
            save(make(), path)
    finally:
        failed = [pid for pid in children
                  if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) != 0]
    if failed:
        raise DrawingFailed(f"{len(failed)} of {processes} drawing processes failed")


def draw_all(run_dir: Path, plots: list[tuple[Plot, dict[str, ScenarioResult]]],
             processes: int | None = None) -> list[DrawnPlot]:
    """Each plot over its scenarios; the scenario plots' figures drawn side by
    side (``save_all``)."""
    drawn, figures = [], []
    for plot, scenarios in plots:
        if isinstance(plot, ExperimentPlot):
            figure = Figure(figsize=plot.size, layout="constrained")
            ax = figure.subplots()
            if plot.draw(ax, scenarios):
                ax.grid(alpha=0.3)
                legend(ax)
                drawn.append(DrawnPlot(plot.name, plot.caption,
                                       save(figure, run_dir / f"{plot.name}.png"), {}))
            continue
        shown = [s for s in scenarios.values() if plot.shows(s)]
        if not shown:
            continue
        own = {s.name: run_dir / s.name / f"{plot.name}.png" for s in shown}
        figures += [(functools.partial(scenario_figure, plot, s), own[s.name]) for s in shown]
        figures.append((functools.partial(side_by_side_figure, plot, shown),
                        run_dir / f"{plot.name}.png"))
        drawn.append(DrawnPlot(plot.name, plot.caption, run_dir / f"{plot.name}.png", own))
    save_all(figures, processes)
    return drawn


def mark_events(ax, run: RunResult, color="grey") -> None:
    """A dashed line and a label at each event's time, as it happened."""
    for at_s, label in run.event_times():
        ax.axvline(at_s, color=color, linestyle="--", linewidth=1)
        ax.annotate(label, (at_s, 1), xycoords=("data", "axes fraction"), rotation=90,
                    va="top", ha="right", fontsize="x-small", color=color)


# Plots any model with monitors or timed requests may declare.

def _has_monitors(scenario: ScenarioResult) -> bool:
    return any(series.rows for series in scenario.run.links.values())


def _draw_utilisation(ax, scenario: ScenarioResult) -> None:
    """Each monitor's downstream utilisation, second by second, against the
    capacity in force during that second."""
    start = scenario.run.window[0]
    for name, series in scenario.run.links.items():
        ax.plot([r["time"] - start for r in series.rows], [r["down"] for r in series.rows],
                label=f"{name} (down)")
    mark_events(ax, scenario.run)
    ax.set_xlabel("time since the workload started (s)")
    ax.set_ylabel("utilisation")
    ax.set_ylim(bottom=0)


def completed_requests(scenario: ScenarioResult) -> list[dict]:
    return [r for r in scenario.run.rows() if not r.get("error") and "delay_s" in r]


def _has_delays(scenario: ScenarioResult) -> bool:
    return bool(completed_requests(scenario))


def _draw_delay_time(ax, scenario: ScenarioResult) -> None:
    start = scenario.run.window[0]
    done = completed_requests(scenario)
    ax.plot([float(r["start"]) - start for r in done], [float(r["delay_s"]) for r in done],
            ".", markersize=2, label="a request")
    mark_events(ax, scenario.run)
    ax.set_xlabel("request time since the workload started (s)")
    ax.set_ylabel("request delay (s)")
    ax.set_yscale("log")


def _draw_delay_cdf(ax, scenario: ScenarioResult) -> None:
    delays = sorted(float(r["delay_s"]) for r in completed_requests(scenario))
    ax.step(delays, [(i + 1) / len(delays) for i in range(len(delays))], where="post",
            label="measured")
    ax.set_xscale("log")
    ax.set_xlabel("request delay (s)")
    ax.set_ylabel("CDF")


UTILISATION = ScenarioPlot("utilisation", "Utilisation of each monitored link, per second",
                           _draw_utilisation, _has_monitors)
DELAY_TIME = ScenarioPlot("delay_time", "Each request's delay, by when it was sent",
                          _draw_delay_time, _has_delays)
DELAY_CDF = ScenarioPlot("delay_cdf", "Distribution of request delays", _draw_delay_cdf,
                         _has_delays)
