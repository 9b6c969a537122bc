import json
import subprocess
from pathlib import Path

from click.testing import CliRunner

from orchestrator.cli import cli

REPO = Path(__file__).resolve().parents[3]


def test_list_shows_each_experiment_on_one_line():
    result = CliRunner().invoke(cli, ["list", str(REPO / "experiments")])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert any("access-link.yaml" in line
               and "scenarios: a, b, c, c-containers, c-openflow, d" in line for line in lines)


def test_list_marks_an_invalid_spec(tmp_path):
    (tmp_path / "broken.yaml").write_text("experiment: x\ncolour: red\n")
    result = CliRunner().invoke(cli, ["list", str(tmp_path)])
    assert "INVALID" in result.output and "broken.yaml:1:1: title: required key" in result.output


def test_exec_without_a_held_run_says_so(tmp_path, monkeypatch):
    from orchestrator.emulation import hold

    monkeypatch.setattr(hold, "HELD", tmp_path / "held.json")
    result = CliRunner().invoke(cli, ["exec", "client1", "--", "true"])
    assert "no held run" in str(result.exception)


def test_a_held_run_that_was_killed_is_not_offered(tmp_path, monkeypatch):
    from orchestrator.emulation import hold

    monkeypatch.setattr(hold, "HELD", tmp_path / "held.json")
    hold.publish(tmp_path / "run", {"client1": 1}, {})
    killed = subprocess.Popen(["sleep", "60"])
    killed.kill()
    killed.wait()
    run = json.loads(hold.HELD.read_text())
    hold.HELD.write_text(json.dumps({**run, "holder": killed.pid}))
    result = CliRunner().invoke(cli, ["exec", "client1", "--", "true"])
    assert f"the last one (pid {killed.pid}) was killed" in str(result.exception)
    assert not hold.HELD.exists()
