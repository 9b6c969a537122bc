"""The timeline's core, driven by an injected clock: events happen in order,
at their times, each recorded with when it happened and what went wrong."""
from orchestrator.experiment.spec import EventSpec, WorkloadSpec
from orchestrator.experiment.timeline import Planned, Timeline, plan


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.now += seconds
        return False


def test_events_happen_in_order_at_their_times():
    clock, done = FakeClock(), []

    def act(event):
        done.append((event.kind, clock.now - 100.0))
        clock.now += 0.25  # the action itself takes a while
        return {"queued_bytes": {"isp": 1500}} if event.kind == "link_set" else None

    timeline = Timeline([Planned(5, "link_set", "gw-isp"), Planned(5, "service_stop", "root"),
                         Planned(12, "link_up", "gw-isp")], act, clock=clock)
    timeline.t0 = 100.0
    timeline.run(wait=clock.wait)
    assert done == [("link_set", 5.0), ("service_stop", 5.25), ("link_up", 12.0)]
    assert [r.happened_s for r in timeline.records] == [5.0, 5.25, 12.0]
    assert [r.took_s for r in timeline.records] == [0.25, 0.25, 0.25]
    assert timeline.records[0].detail == {"queued_bytes": {"isp": 1500}}
    assert timeline.records[0].row()["detail"] == '{"queued_bytes": {"isp": 1500}}'
    assert timeline.records[1].detail == {}


def test_a_failing_event_is_recorded_and_the_rest_go_on():
    clock = FakeClock()

    def act(event):
        if event.target == "root":
            raise RuntimeError("not running")

    timeline = Timeline([Planned(1, "service_stop", "root"), Planned(2, "service_start", "tld")],
                        act, clock=clock)
    timeline.t0 = clock.now
    timeline.run(wait=clock.wait)
    assert [r.error for r in timeline.records] == ["RuntimeError: not running", ""]
    assert [r.target for r in timeline.failures] == ["root"]


def test_a_stop_leaves_later_events_undone():
    clock = FakeClock()
    timeline = Timeline([Planned(1, "link_down", "a-b"), Planned(9, "link_up", "a-b")],
                        lambda event: None, clock=clock)
    timeline.t0 = clock.now
    calls = iter([False, True])
    timeline.run(wait=lambda s: next(calls))
    assert [r.happened_s for r in timeline.records] == [0.0, None]
    assert timeline.records[1].row()["happened_s"] is None


def test_the_plan_holds_events_and_late_workload_starts_in_time_order():
    events = [EventSpec(at=30, service="root", action="stop"),
              EventSpec(at=10, link=["gw", "isp"], set={"bw": 15.4}, label="upgrade")]
    workloads = {"early": WorkloadSpec(role="web-client", hosts=["h1"]),
                 "late": WorkloadSpec(role="web-client", hosts=["h2", "h3"], start_at=20)}
    planned = plan(events, workloads)
    assert [(p.at_s, p.kind, p.target) for p in planned] == [
        (10, "link_set", "gw-isp"), (20, "workload_start", "late"), (30, "service_stop", "root")]
    assert planned[0].change == {"bw": 15.4} and planned[1].hosts == ("h2", "h3")


def test_a_link_event_keeps_its_two_ends_whatever_their_names_hold():
    (planned,) = plan([EventSpec(at=40, link=["home-gw", "core"], set={"bw": 1.2})], {})
    assert planned.ends == ("home-gw", "core") and planned.target == "home-gw-core"
