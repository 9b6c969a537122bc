"""Settings of the machine that runs at once share: the neighbour table's
limits, raised by each run for its own hosts, put back by the last."""
import multiprocessing

import pytest

from orchestrator.emulation import shared

# A stock kernel's gc_thresh1, 2 and 3.
STOCK_LIMITS = (128, 512, 1024)


@pytest.fixture
def limits(tmp_path, monkeypatch):
    """The three limits as files of the test's own."""
    monkeypatch.setattr(shared, "SHARED_ROOT", tmp_path / "shared")
    files = []
    for level, value in enumerate(STOCK_LIMITS, start=1):
        files.append(tmp_path / f"gc_thresh{level}")
        files[-1].write_text(f"{value}\n")
    monkeypatch.setattr(shared, "NEIGHBOUR_TABLE_LIMITS", tuple(
        shared.SharedSetting(f"gc_thresh{level}", str(path))
        for level, path in enumerate(files, start=1)))
    return files


def values(files) -> tuple[int, ...]:
    return tuple(int(path.read_text()) for path in files)


def test_a_run_raises_every_limit_by_its_entries_and_puts_them_back(limits):
    with shared.neighbour_room(63_252):
        assert values(limits) == tuple(v + 63_252 for v in STOCK_LIMITS)
    assert values(limits) == STOCK_LIMITS


def hold_room(entries: int, held, leave) -> None:
    with shared.neighbour_room(entries):
        held.set()
        leave.wait(10)


def test_runs_at_once_each_add_their_own_and_the_last_to_end_restores(limits):
    context = multiprocessing.get_context("fork")
    held, leave = context.Event(), context.Event()
    other_run = context.Process(target=hold_room, args=(500, held, leave))
    other_run.start()
    try:
        assert held.wait(10)
        with shared.neighbour_room(1000):
            assert values(limits) == tuple(v + 1500 for v in STOCK_LIMITS)
            leave.set()
            other_run.join(10)
            # This run still has its hosts: the other's leaving changes nothing.
            assert values(limits) == tuple(v + 1500 for v in STOCK_LIMITS)
        assert values(limits) == STOCK_LIMITS
    finally:
        leave.set()
        other_run.join(10)
