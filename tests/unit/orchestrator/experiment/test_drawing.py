"""`applab topo`: every shipped spec drawn, with no root, naming every host;
links labelled each way where their directions differ."""
import html
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from orchestrator.cli import cli
from orchestrator.experiment import spec
from orchestrator.experiment.drawing import link_label

EXPERIMENTS = Path(__file__).resolve().parents[4] / "experiments"
SHIPPED = sorted([*EXPERIMENTS.glob("*.yaml"), *(p.parent for p in
                                                 EXPERIMENTS.glob("*/experiment.yaml"))])


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem if p.is_file() else p.name)
def test_every_shipped_spec_draws_with_every_host_named(path, tmp_path):
    out = tmp_path / "topology.svg"
    drawn = CliRunner().invoke(cli, ["topo", str(path), "-o", str(out)])
    assert drawn.exit_code == 0, drawn.output
    text = out.read_text()
    first = next(iter(spec.load(path).scenarios.values()))
    named = {html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]+)</text>", text)}
    missing = set(first.topology.build().hosts()) - named
    assert not missing, missing


def test_a_link_is_labelled_each_way_only_where_its_directions_differ():
    alike = {"node1": "h1", "node2": "s1", "bw": 10, "delay": "20ms", "loss": 1}
    assert link_label(alike) == "10 Mb/s, 20 ms, 1 % loss"
    apart = {"node1": "h1", "node2": "s1", "delay": "5ms",
             "params1": {"bw": 1}, "params2": {"bw": 8}}
    assert link_label(apart) == "h1→: 1 Mb/s, 5 ms\\n←h1: 8 Mb/s, 5 ms"
    assert link_label({"node1": "h1", "node2": "s1"}) == ""


def applab(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orchestrator.cli", *args],
                          capture_output=True, text=True, timeout=60, check=False)


def test_a_bad_spec_gets_the_same_errors_as_a_run(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("experiment: x\ntitle: t\nmodel: programs\nduration_s: 5\n"
                   "topology: {builder: nowhere}\n")
    drawn = applab("topo", str(bad), "-o", str(tmp_path / "t.svg"))
    ran = applab("run", str(bad), "--out", str(tmp_path / "results"))
    assert drawn.returncode == ran.returncode == 2
    assert f"{bad}:5:" in drawn.stderr and drawn.stderr == ran.stderr
    assert not (tmp_path / "t.svg").exists() and not (tmp_path / "results").exists()


def test_a_large_group_of_like_hosts_is_drawn_as_one_node():
    from orchestrator.experiment.drawing import GROUP_DRAWN_WHOLE_UP_TO, dot_source
    from topologies.builders import star
    many = GROUP_DRAWN_WHOLE_UP_TO + 1
    topo = star({"tracker": {"hosts": ["tracker"]},
                 "peers": {"count": many, "link": {"up": {"bw": 1}, "down": {"bw": 10}}}})
    source = dot_source(topo, {f"peer{i}": ["client:bt-peer"] for i in range(1, many + 1)},
                        "swarm")
    assert f'"peers: {many} hosts\\npeer1 … peer{many}\\nbt-peer"' in source
    assert '"peers" -- "s1" [label="peers→: 1 Mb/s\\n←peers: 10 Mb/s"]' in source
    assert "\"peer2\"" not in source and '"tracker" -- "s1"' in source


def test_a_group_whose_members_differ_is_drawn_host_by_host():
    from orchestrator.experiment.drawing import GROUP_DRAWN_WHOLE_UP_TO, dot_source
    from topologies.builders import star
    many = GROUP_DRAWN_WHOLE_UP_TO + 1
    topo = star({"peers": {"count": many}})
    source = dot_source(topo, {"peer1": ["service:bt-seeder"]}, "swarm")
    assert all(f'"peer{i}" -- "s1"' in source for i in range(1, many + 1))
