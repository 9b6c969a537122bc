"""Every kind of timeline event, carried out on a running exchange: link
down and up, a service killed and started, a workload stopped and started
on its host, a link's rate changed."""
from pathlib import Path

import pytest

from orchestrator.experiment import spec
from orchestrator.experiment.runner import run_experiment

pytestmark = pytest.mark.integration

FOLDER = Path(__file__).resolve().parent / "uppercase"


def test_every_kind_of_event_happens_and_leaves_its_trace(tmp_path, clean_machine):
    run_dir, results = run_experiment(spec.load(FOLDER, only=["disturbed"]), tmp_path)
    run = results["disturbed"].run
    assert [(e.kind, e.error) for e in run.events] == [
        ("link_down", ""), ("link_up", ""), ("service_kill", ""), ("service_start", ""),
        ("workload_stop", ""), ("workload_start", ""), ("link_set", "")]
    for event in run.events:  # each on time: the timeline's thread does little else
        assert event.at_s <= event.happened_s < event.at_s + 0.5, event
    assert run.link_params["h1-s1"]["up"]["bw_mbps"] == 5.0
    assert run.link_params["h1-s1"]["up"]["delay_ms"] == 10.0  # the change kept the delay
    # The client ran twice on h1, and its second run was answered by the
    # restarted server, over the reshaped link.
    homes = sorted(p.name for p in (run_dir / "disturbed" / "hosts" / "h1").iterdir())
    assert homes == ["udp-uppercase-client", "udp-uppercase-client.2"]
    rows = run.rows()
    answered = [r for r in rows if r["reply"] == r["sent"].upper()]
    assert len(answered) > len(rows) / 2
    # A sentence sent while the link was down, or while the server was dead,
    # is lost; each outage cost its own.
    happened = {e.kind: run.window[0] + e.happened_s for e in run.events}

    def lost_between(start: str, end: str) -> list[dict]:
        return [r for r in rows if not r["reply"]
                and happened[start] <= float(r["at"]) < happened[end]]
    assert lost_between("link_down", "link_up"), rows
    assert lost_between("service_kill", "service_start"), rows
    events_csv = (run_dir / "disturbed" / "events.csv").read_text()
    assert events_csv.count("\n") == 1 + len(run.events)
