"""The HTTP/3 model on made-up page loads of the shipped spec: the first
byte three round trips after connecting over TCP and TLS, two over QUIC;
small objects timed from request to last byte."""
import pytest

from orchestrator.experiment import spec
from orchestrator.experiment.models import http3
from orchestrator.experiment.models.http_pages import path_of
from orchestrator.experiment.result import RunResult, WorkloadRun
from tests.paths import EXPERIMENTS

# What the endpoints add to the round trips (TLS, the server's reply).
ENDPOINTS_S = 0.004


@pytest.fixture(scope="module")
def experiment():
    return spec.load(EXPERIMENTS / "http3.yaml", only=["handshake-100", "hol-clean"])


def row(mode: str, run: int, path: str, start: float, first: float, last: float,
        body: int = 1000) -> dict:
    return {"mode": mode, "run": str(run), "path": path, "client": "h1", "epoch": 0.0,
            "connect_start": start, "request_sent": start, "first_byte": first,
            "last_byte": last, "body_bytes": str(body), "quic_trace": "", "quic_stream": "",
            "tcp_ranges": "", "tcp_port": ""}


def run_of(rows: list[dict]) -> RunResult:
    return RunResult(realizer="relay", window=(0.0, 10.0),
                     workloads={"page-client": WorkloadRun("page-client", "page-client",
                                                           ["h1"], rows)},
                     services={}, links={}, events=[], addresses={"h1": "10.0.0.1",
                                                                  "h2": "10.0.0.2"},
                     link_params={}, link_stats={}, pcaps=[])


def test_quic_saves_one_round_trip_before_the_first_byte(experiment):
    scenario = experiment.scenarios["handshake-100"]
    _, path = path_of(scenario)
    rows = [row(mode, n, "/index.html", 10.0 * n, 10.0 * n + rtts * path.rtt_s + ENDPOINTS_S,
                10.0 * n + rtts * path.rtt_s + 0.01)
            for n in range(5) for mode, rtts in http3.HANDSHAKE_RTTS.items()]
    found = {q.name: q for q in http3.quantities(scenario, run_of(rows))[0]}
    assert found["ttfb_https"].predicted == pytest.approx(3 * path.rtt_s)
    assert found["ttfb_http3"].predicted == pytest.approx(2 * path.rtt_s)
    assert found["ttfb_http3"].measured == pytest.approx(2 * path.rtt_s + ENDPOINTS_S)
    assert found["handshake_rtts_saved"].measured == pytest.approx(1.0)
    assert set(found) == {"ttfb_https", "ttfb_http3", "handshake_rtts_saved"}


def test_small_objects_are_timed_and_without_arrivals_no_stall_is_claimed(experiment):
    scenario = experiment.scenarios["hol-clean"]
    rows = []
    for mode in ("pipelined", "http2", "http3"):
        for n in range(3):
            rows.append(row(mode, n, "/o/0.bin", 0.0, 0.1, 2.0, body=1_000_000))
            rows += [row(mode, n, f"/o/{i}.bin", 0.0, 0.1, 0.2 + 0.1 * i, body=20_000)
                     for i in (1, 2, 3)]
    found = {q.name: q for q in http3.quantities(scenario, run_of(rows))[0]}
    assert found["small_done_http2"].measured == pytest.approx(0.4)   # the median of 0.3-0.5
    assert found["large_done_http3"].measured == pytest.approx(2.0)
    assert found["small_done_http3"].predicted is None      # no model of QUIC's own here
    assert found["small_done_pipelined"].predicted is not None
    # No capture and no qlog: when bytes reached the host is unknown, so no stall.
    assert not [name for name in found if name.startswith(("undamaged_stall", "held_share"))]


def test_an_object_with_neither_trace_nor_ranges_has_no_arrival():
    assert http3.host_arrival(row("http2", 0, "/o/1.bin", 0, 0, 0), "10.0.0.2", {80}, None,
                              {}) is None
