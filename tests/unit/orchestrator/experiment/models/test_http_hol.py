import pytest

from orchestrator.experiment.models.http_hol import Path, per_run, predicted_small_done_s


def row(mode, run, path, size, sent, last):
    return {"mode": mode, "run": str(run), "path": path, "body_bytes": str(size),
            "request_sent": str(sent), "last_byte": str(last)}


def test_per_run_measures_from_the_object_requests():
    rows = [row("http2", 0, "/index.html", 1000, 0.0, 0.1),
            row("http2", 0, "/o/0.bin", 2_000_000, 0.2, 2.0),
            row("http2", 0, "/o/1.bin", 10_000, 0.2, 0.35),
            row("http2", 0, "/o/2.bin", 10_000, 0.2, 0.3)]
    (load,) = per_run(rows, "http2")
    assert load["large_done"] == pytest.approx(1.8)
    assert sorted(load["small_done"]) == pytest.approx([0.1, 0.15])
    assert per_run(rows, "pipelined") == []


def test_fcfs_keeps_small_objects_behind_the_large_one():
    path = Path(rtt_s=0.05, rate_bps=10e6, burst_bytes=1600)
    fcfs = predicted_small_done_s("pipelined", path, 2_000_000, [10_000] * 3)
    interleaved = predicted_small_done_s("http2", path, 2_000_000, [10_000] * 3)
    assert fcfs > 2_000_000 * 8 / 10e6 > interleaved
    assert interleaved < 4 * path.rtt_s
