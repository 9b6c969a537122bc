"""The cookies model on made-up visits: the shop recognises a returning
browser, and the ad network links the news sites unless third-party cookies
are blocked, which the prediction follows."""
from orchestrator.experiment import spec
from orchestrator.experiment.models import cookies
from orchestrator.experiment.result import RunResult, WorkloadRun
from tests.paths import EXPERIMENTS


def run_of(rows: list[dict], linked: int | None) -> RunResult:
    tracker = {"most_sites_linked": linked, "profiles": {"abc": ["news-a", "news-b"]}} \
        if linked is not None else {}
    return RunResult("relay", (0.0, 10.0),
                     {"cookie-client": WorkloadRun("cookie-client", "cookie-client", ["h1"],
                                                   rows)},
                     {"ads": tracker}, {}, [], {}, {}, {}, [])


VISITS = [{"step": "shop-first", "recognised": "no"},
          {"step": "shop-again", "recognised": "yes"},
          {"step": "ad-on:news-a.example", "cookie_sent": "False"},
          {"step": "ad-on:news-b.example", "cookie_sent": "True"}]


def found(scenario: str, run: RunResult) -> dict:
    loaded = spec.load(EXPERIMENTS / "cookies.yaml", only=[scenario]).scenarios[scenario]
    quantities, details = cookies.quantities(loaded, run)
    return {q.name: (q.measured, q.predicted) for q in quantities}


def test_allowed_third_party_cookies_link_the_sites():
    measured = found("allowed", run_of(VISITS, linked=2))
    assert measured == {"first_visit_recognised": (0.0, 0), "second_visit_recognised": (1.0, 1),
                        "tracker_sites_linked": (2, 2), "third_party_cookies_sent": (1.0, 1)}


def test_blocked_third_party_cookies_predict_no_link():
    blocked = [dict(v, cookie_sent="False") if v["step"].startswith("ad-on") else v
               for v in VISITS]
    measured = found("blocked", run_of(blocked, linked=0))
    assert measured["tracker_sites_linked"] == (0, 0)
    assert measured["third_party_cookies_sent"] == (0.0, 0)


def test_a_step_never_taken_is_not_measured():
    measured = found("allowed", run_of(VISITS[2:], linked=None))
    assert measured["first_visit_recognised"][0] is None
    assert measured["tracker_sites_linked"][0] is None


def test_the_report_names_each_profile():
    assert cookies.report_lines({"profiles": {"abc": ["news-a", "news-b"]}}) == [
        "the ad network linked browser abc across news-a, news-b"]
    assert cookies.report_lines({}) == ["the ad network linked no browser across sites"]
