import pytest

from orchestrator.experiment.resources import (
    ResourceMeter,
    cpu_seconds,
    saturated,
    saturated_seconds,
)


def test_cpu_wall_and_the_memory_peak_between_start_and_stop():
    cpu, memory, clock = iter([10.0, 25.0]), iter([1_000e6, 1_500e6, 1_200e6]), iter([0.0, 10.0])
    busy, wall = iter([0.0, 40.0, 100.0]), iter([1000.0, 1000.5])
    others = iter([1, 0])
    meter = ResourceMeter(cpu=lambda: next(cpu), memory=lambda: int(next(memory)),
                          clock=lambda: next(clock), cores=2, busy=lambda: next(busy),
                          wall=lambda: next(wall), others=lambda: next(others))
    meter.start()
    meter.sample()
    meter.sample()
    found = meter.stop()
    assert found["cpu_s"] == 15.0 and found["wall_s"] == 10.0
    assert found["memory_added_mb"] == 500.0
    assert found["cpu_share"] == 0.75  # 15 CPU-seconds in 10 s on 2 cores
    # How busy the cores were, from the start to each sample.
    assert found["cores_busy"] == [[1000.0, 40.0], [1000.5, 100.0]]
    # Another run shared the cores for a while.
    assert found["other_runs_at_once"] == 1


def test_cpu_seconds_count_this_process():
    before = cpu_seconds()
    sum(i * i for i in range(300_000))
    assert cpu_seconds() > before


def test_the_machine_is_saturated_where_a_sample_says_so():
    # Each sample covers the second before it: (0, 1] and (1, 2] at 95 %.
    busy = [[0.0, 50.0], [1.0, 95.0], [2.0, 95.0], [3.0, 10.0]]
    assert saturated_seconds(busy, 0.5, 2.5) == pytest.approx(1.5)
    assert saturated(busy, 1.5, 1.6) and not saturated(busy, 2.6, 2.9)
    assert saturated_seconds([], 0.0, 10.0) == 0.0
