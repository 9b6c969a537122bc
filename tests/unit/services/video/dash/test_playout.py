"""The playout buffer on an injected clock: startup, drain, stall, resume."""
import pytest

from services.video.dash.playout import Playout


def test_play_starts_once_the_startup_video_is_buffered():
    p = Playout(startup_s=4)
    p.add(1.0, 2)
    assert not p.playing and p.level(1.5) == 2
    p.add(3.0, 2)
    assert p.playing and p.started_at_s == 3.0
    assert p.level(4.0) == pytest.approx(3.0)


def test_a_dry_buffer_stalls_until_startup_video_is_back():
    p = Playout(startup_s=2)
    p.add(0.0, 2)            # plays 0..2
    p.add(1.0, 2)            # 3 s left at 1 s: dry at 4 s
    p.add(7.0, 2)            # stalled 4..7, resumes
    assert p.stalls == [(4.0, 7.0)] and p.stalled_s() == 3.0
    assert p.played_s == pytest.approx(4.0)
    p.advance(10.0)          # dry again at 9 s, still stalled at 10 s
    assert not p.playing and p.stalled_s(10.0) == pytest.approx(4.0)


def test_time_does_not_go_back():
    p = Playout()
    p.advance(2.0)
    with pytest.raises(ValueError):
        p.advance(1.0)
