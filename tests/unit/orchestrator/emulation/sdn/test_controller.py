"""The controller's records as its poller writes them: switches come and go,
a half-written last line waits, and the apps a spec may name are there."""
import json

from orchestrator.emulation.sdn.controller import BUILT_IN_APPS, OpenFlowController


def controller(tmp_path, lines: list[str]) -> OpenFlowController:
    found = OpenFlowController(BUILT_IN_APPS["l2-learning"], tmp_path)
    found.stats_file.write_text("".join(lines))
    return found


def test_the_switches_connected_now_follow_their_comings_and_goings(tmp_path):
    events = [{"event": "connected", "dpid": 1}, {"event": "connected", "dpid": 2},
              {"event": "ports", "dpid": 1, "ports": []}, {"event": "disconnected", "dpid": 1}]
    assert controller(tmp_path, [json.dumps(e) + "\n" for e in events]).connected() == {2}


def test_a_half_written_last_line_is_left_for_later(tmp_path):
    lines = [json.dumps({"event": "connected", "dpid": 3}) + "\n", '{"event": "conn']
    assert controller(tmp_path, lines).records() == [{"event": "connected", "dpid": 3}]


def test_the_built_in_apps_are_files_that_compile():
    for name, app in BUILT_IN_APPS.items():
        compile(app.read_text(), str(app), "exec")
        assert app.suffix == ".py", name
