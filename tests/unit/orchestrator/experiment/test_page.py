"""report.html and its plots from a run folder's files: a folder that is not
a run, or whose files are cut short, is refused with the file and what is
wrong, and nothing is written; the checks table puts failures first; the
plots the model declares are drawn, per scenario and side by side."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.experiment.page import REPORT, assignment_page, checks_table, write_report
from orchestrator.experiment.runfolder import RunFolderError, load_run
from tests.unit.orchestrator.experiment.runs import measured_run, run_folder

REPO = Path(__file__).resolve().parents[4]


def test_a_folder_that_is_not_a_run_is_refused(tmp_path):
    with pytest.raises(RunFolderError, match=r"manifest.json: missing: .* not a complete run"):
        write_report(tmp_path)
    assert not (tmp_path / REPORT).exists()


def test_a_truncated_summary_is_refused_at_its_line_and_column(tmp_path):
    folder = run_folder(tmp_path, summary='{"checks": [], "scen')
    with pytest.raises(RunFolderError, match=r"summary.json:1:\d+: not valid JSON .*truncated"):
        write_report(folder)
    assert not (folder / REPORT).exists()


def test_truncated_measurements_are_refused_and_nothing_is_drawn(tmp_path):
    folder = run_folder(tmp_path)
    text = (folder / "c" / "run.json").read_text()
    (folder / "c" / "run.json").write_text(text[:len(text) // 2])
    with pytest.raises(RunFolderError, match=r"c/run.json:1:\d+: not valid JSON"):
        write_report(folder)
    assert not list(folder.rglob("*.png")) and not (folder / REPORT).exists()


def test_a_scenario_without_its_folder_is_refused(tmp_path):
    folder = run_folder(tmp_path)
    for path in (folder / "c").iterdir():
        path.unlink()
    (folder / "c").rmdir()
    with pytest.raises(RunFolderError, match="no folder for scenario"):
        write_report(folder)


def test_the_run_reloads_into_its_typed_result(tmp_path):
    loaded = load_run(run_folder(tmp_path))
    scenario = loaded.scenarios["c"]
    assert scenario.run == measured_run()
    assert [c.name for c in scenario.checks] == ["access_utilisation", "mean_delay"]
    assert not scenario.ok and scenario.checks[1].textbook == 1.2


def test_a_complete_folder_gets_its_page_and_its_models_plots(tmp_path):
    folder = run_folder(tmp_path, scenarios=("a", "b"))
    page = write_report(folder).read_text()
    assert "<h2 id=\"scenario-a\">Scenario a: t" in page and "<script" not in page
    for plot in ("utilisation", "delay_time", "delay_cdf"):
        # Side by side for the run, and each scenario's own in its section.
        assert (folder / f"{plot}.png").stat().st_size > 0
        assert f'src="{plot}.png"' in page
        for scenario in ("a", "b"):
            assert f'src="{scenario}/{plot}.png"' in page


def test_a_spec_chooses_among_its_models_plots(tmp_path):
    folder = run_folder(tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["resolved"]["c"]["plots"] = ["delay_cdf"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    write_report(folder)
    assert sorted(p.name for p in folder.rglob("*.png")) == ["delay_cdf.png"] * 2


def test_failures_come_first_in_the_checks_table():
    rows = checks_table([{"name": "shown", "ok": None}, {"name": "good", "ok": True},
                         {"name": "bad", "ok": False, "measured": 0.5}])
    assert rows.index('data-check="bad"') < rows.index('data-check="good"') < \
        rows.index('data-check="shown"')
    assert 'class="verdict verdict-fail">FAIL' in rows


# Loads a run and writes its report where Mininet, SSH and Docker's client
# cannot be imported (a laptop), then says whether pyplot was imported.
ON_A_LAPTOP = """
import importlib.abc, sys
class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ("mininet", "paramiko", "docker", "os_ken"):
            raise ModuleNotFoundError(f"No module named {name!r}")
sys.meta_path.insert(0, Absent())
from orchestrator.experiment.runfolder import load_run
loaded = load_run(sys.argv[1])
from orchestrator.experiment.page import write_report
write_report(sys.argv[1])
print("matplotlib.pyplot" in sys.modules, len(loaded.scenarios["c"].run.rows()))
"""


def test_a_run_reloads_and_reports_without_mininet_or_pyplot(tmp_path):
    folder = run_folder(tmp_path)
    done = subprocess.run([sys.executable, "-c", ON_A_LAPTOP, str(folder)], text=True,
                          capture_output=True, check=False, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "20"]
    assert (folder / REPORT).exists()


def test_an_assignment_page_lists_every_check_even_those_never_run(tmp_path):
    outcomes = [{"scenario": "lossy", "check": "replies", "title": "answers each ping",
                 "passed": False, "message": "3 of 10 answered"}]
    page = assignment_page("Assignment udp-pinger", "program p.py, network seed 1", outcomes,
                           [("replies", "answers each ping"), ("timeout", "waits 1 s")],
                           ["[lossy] student on h1 reached its memory limit (256 MB)"],
                           [tmp_path / "h1.log"], tmp_path)
    assert 'data-check="replies"' in page and "3 of 10 answered" in page
    assert 'data-check="timeout"' in page and "not run" in page
    assert "0 of\n2 checks passed" in page and "memory limit" in page
