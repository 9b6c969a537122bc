"""Plots as models declare them: the checks' predictions and slide values
drawn as reference lines, one panel per scenario, legends beside the data."""
import dataclasses
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from orchestrator.experiment.models import MODELS
from orchestrator.experiment.models.base import Check
from orchestrator.experiment.plots import (
    UTILISATION,
    DrawingFailed,
    ExperimentPlot,
    ScenarioPlot,
    draw_all,
    save_all,
    scenario_figure,
    side_by_side_figure,
)
from orchestrator.experiment.result import ScenarioResult
from tests.unit.orchestrator.experiment.runs import measured_run


def scenario(name="c", predicted=0.6, textbook=0.58) -> ScenarioResult:
    check = Check("access_utilisation", 0.55, predicted, "±0.1", "", True, "λW/R", textbook)
    return ScenarioResult(name, "title", "access_link", [], [check], {}, measured_run())


def horizontal_lines(ax) -> dict[str, float]:
    return {line.get_label(): line.get_ydata()[0] for line in ax.lines
            if len(set(line.get_ydata())) == 1 and len(line.get_ydata()) == 2}


def test_the_prediction_and_the_slide_are_drawn_where_the_check_has_them():
    plot = UTILISATION.referring_to("access_utilisation")
    ax = scenario_figure(plot, scenario()).axes[0]
    lines = horizontal_lines(ax)
    assert lines["model: access_utilisation 0.6"] == 0.6
    assert lines["slide: access_utilisation 0.58"] == 0.58


def test_a_check_without_a_slide_value_draws_the_model_alone():
    ax = scenario_figure(UTILISATION.referring_to("access_utilisation"),
                         scenario(textbook=None)).axes[0]
    assert [label for label in horizontal_lines(ax) if label.startswith("slide")] == []


def test_scenarios_get_a_panel_each_with_the_legend_beside_the_data():
    figure = side_by_side_figure(UTILISATION, [scenario(n) for n in "abcd"])
    shown = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title() for ax in shown] == [f"{n}: title" for n in "abcd"]
    named = dataclasses.replace(scenario("c-containers"), title="(c) with the origin and the "
                                "cache as Docker containers (image web)")
    title = side_by_side_figure(UTILISATION, [named]).axes[0].get_title()
    assert "\n" in title and title.replace("\n", " ").startswith("c-containers: (c) with")
    for ax in shown:
        anchor = ax.get_legend().get_bbox_to_anchor().transformed(ax.transAxes.inverted())
        assert anchor.x0 >= 1.0  # to the right of the axes, not over them


def test_every_models_plots_have_names_of_their_own():
    for name, model in MODELS.items():
        plots = model.plots
        assert all(isinstance(p, ScenarioPlot | ExperimentPlot) for p in plots), name
        assert len({p.name for p in plots}) == len(plots), name


def test_a_runs_figures_are_drawn_side_by_side_each_as_its_own_file(tmp_path):
    scenarios = {n: scenario(n) for n in "abc"}
    for n in scenarios:
        (tmp_path / n).mkdir()
    drawn = draw_all(tmp_path, [(UTILISATION, scenarios)], processes=2)
    [plot] = drawn
    assert plot.figure == tmp_path / "utilisation.png"
    assert sorted(plot.per_scenario) == list("abc")
    for path in [plot.figure, *plot.per_scenario.values()]:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
    assert sorted(p.name for p in tmp_path.rglob("*.partial.png")) == []


def test_a_figure_that_fails_in_another_process_fails_the_drawing(tmp_path):
    def broken() -> Figure:
        raise ValueError("no data")

    figures = [(Figure, tmp_path / "a.png"), (broken, tmp_path / "b.png"),
               (Figure, tmp_path / "c.png")]
    with pytest.raises(DrawingFailed, match="1 of 2"):
        save_all(figures, processes=2)
    assert (tmp_path / "a.png").exists() and (tmp_path / "c.png").exists()


def test_a_run_with_no_scenario_figures_draws_none():
    """An experiment whose plots are all over its scenarios together (p2p-vs-cs)."""
    assert draw_all(Path("/nonexistent"), [(UTILISATION, {})]) == []
    save_all([])
