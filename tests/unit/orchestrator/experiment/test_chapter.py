"""The whole chapter in one command: which specs a folder holds, every one
checked before any runs, and the time left of the whole (injected clock)."""
from pathlib import Path

import pytest

from orchestrator.errors import SpecError
from orchestrator.experiment.chapter import (
    OVERHEAD_PRIOR_S,
    Estimate,
    chapter_specs,
    is_chapter,
    load_all,
    minutes,
)
from tests.unit.clock import FakeClock

REPO = Path(__file__).resolve().parents[4]


def test_the_shipped_folder_is_the_chapter():
    specs = chapter_specs(REPO / "experiments")
    assert is_chapter(REPO / "experiments")
    assert [p.name for p in specs][:2] == ["access-link.yaml", "bittorrent.yaml"]
    assert len(specs) == len(list((REPO / "experiments").glob("*.yaml")))


def test_an_experiment_folder_is_one_experiment_and_a_folder_of_them_lists_it(tmp_path):
    own = tmp_path / "mine"
    own.mkdir()
    (own / "experiment.yaml").write_text("title: x\n")
    (tmp_path / "a.yaml").write_text("title: a\n")
    assert not is_chapter(own)
    assert chapter_specs(tmp_path) == [tmp_path / "a.yaml", own]


def test_every_spec_is_checked_before_any_runs():
    def load(path):
        raise SpecError([f"{path}:1:1: bad"])
    with pytest.raises(SpecError) as err:
        load_all([Path("a.yaml"), Path("b.yaml")], load)
    assert err.value.problems == ["a.yaml:1:1: bad", "b.yaml:1:1: bad"]


def test_an_empty_folder_is_refused():
    with pytest.raises(SpecError, match="no experiments"):
        load_all([], lambda p: None)


def test_before_anything_finished_the_plan_is_the_estimate():
    clock = FakeClock()
    estimate = Estimate([60.0, 40.0, 100.0], clock)
    estimate.beginning()
    assert estimate.left_s() == 200.0


def test_the_estimate_scales_by_how_long_the_finished_scenarios_took():
    clock = FakeClock()
    estimate = Estimate([60.0, 40.0, 100.0], clock)
    estimate.beginning()
    clock.now = 120.0            # the first took twice its plan
    estimate.beginning()
    assert estimate.left_s() == pytest.approx(2 * 140.0)
    clock.now = 200.0            # two done in 200 s against 100 s planned
    estimate.beginning()
    assert estimate.left_s() == pytest.approx(2 * 100.0)


def test_each_scenario_is_planned_as_its_duration_and_the_overhead():
    class Spec:
        def __init__(self, duration_s):
            self.duration_s = duration_s

    class Experiment:
        scenarios = {"a": Spec(10.0), "b": Spec(20.0)}

    assert Estimate.of([Experiment()]).planned_s == [10.0 + OVERHEAD_PRIOR_S,
                                                     20.0 + OVERHEAD_PRIOR_S]


def test_minutes_read_as_a_person_would_say_them():
    assert minutes(45) == "45 s" and minutes(600) == "10 min"


def test_a_chapter_runs_each_experiment_in_turn_into_one_folder(tmp_path):
    import io
    import json

    from rich.console import Console

    from orchestrator.experiment.chapter import CHAPTER_FILE, run_chapter

    class Spec:
        duration_s = 10.0

    class Experiment:
        def __init__(self, name, scenarios):
            self.name, self.scenarios = name, {s: Spec() for s in scenarios}

    def run_one(experiment, folder, announce):
        for scenario in experiment.scenarios:
            announce(scenario)
        run_dir = folder / experiment.name
        run_dir.mkdir()
        phases = {"all": {"workload": 10.0, "bring-up": 1.0}, "total": 11.0}
        return run_dir, {}, phases

    printed = io.StringIO()
    chapter = run_chapter([Experiment("dns", ["a", "b"]), Experiment("email", ["c"])], tmp_path,
                          run_one, Console(file=printed, width=200))
    lines = [line for line in printed.getvalue().splitlines() if line.startswith("chapter:")]
    assert [line.split(": about")[0] for line in lines] == [
        "chapter: experiment 1 of 2, dns, scenario a",
        "chapter: experiment 1 of 2, dns, scenario b",
        "chapter: experiment 2 of 2, email, scenario c"]
    kept = json.loads((chapter.folder / CHAPTER_FILE).read_text())
    assert kept["experiments"]["email"]["phases_s"]["total"] == 11.0 and kept["failed"] == []
    assert (tmp_path / "index.html").exists() and chapter.folder.parent == tmp_path
