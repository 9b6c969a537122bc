"""report.html from a run folder's files: a folder that is not a run, or
whose files are cut short, is refused with the file and what is wrong, and
nothing is written; the checks table puts failures first."""
import json

import pytest

from orchestrator.experiment.page import REPORT, ReportError, checks_table, write_report


def run_folder(tmp_path, summary: str | None = None):
    (tmp_path / "c").mkdir()
    (tmp_path / "manifest.json").write_text(json.dumps({"experiment": "x", "resolved": {}}))
    (tmp_path / "summary.json").write_text(summary if summary is not None else json.dumps(
        {"checks": [], "scenarios": {"c": {"title": "t", "checks": []}}}))
    return tmp_path


def test_a_folder_that_is_not_a_run_is_refused(tmp_path):
    with pytest.raises(ReportError, match=r"manifest.json: missing: .* not a complete run"):
        write_report(tmp_path)
    assert not (tmp_path / REPORT).exists()


def test_a_truncated_summary_is_refused_at_its_line_and_column(tmp_path):
    folder = run_folder(tmp_path, summary='{"checks": [], "scen')
    with pytest.raises(ReportError, match=r"summary.json:1:\d+: not valid JSON .*truncated"):
        write_report(folder)
    assert not (folder / REPORT).exists()


def test_a_scenario_without_its_folder_is_refused(tmp_path):
    folder = run_folder(tmp_path)
    (folder / "c").rmdir()
    with pytest.raises(ReportError, match="no folder for scenario"):
        write_report(folder)


def test_a_complete_folder_gets_its_page(tmp_path):
    page = write_report(run_folder(tmp_path)).read_text()
    assert "<h2 id=\"scenario-c\">Scenario c: t" in page and "<script" not in page


def test_failures_come_first_in_the_checks_table():
    rows = checks_table([{"name": "shown", "ok": None}, {"name": "good", "ok": True},
                         {"name": "bad", "ok": False, "measured": 0.5}])
    assert rows.index('data-check="bad"') < rows.index('data-check="good"') < \
        rows.index('data-check="shown"')
    assert 'class="verdict verdict-fail">FAIL' in rows
