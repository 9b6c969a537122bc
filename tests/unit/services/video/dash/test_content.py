"""The ladder ffmpeg makes: every rung's segments at its rate, a real MPD,
and a second build served from the cache."""
import os

import pytest

from services.video.dash import content
from services.video.dash.mpd import parse

# CBR with filler holds each full segment to its rate; the first carries the
# encoder's start and runs short.
RATE_TOLERANCE = 0.05


def test_each_rung_s_segments_carry_its_rate_and_the_cache_is_reused(tmp_path, monkeypatch):
    monkeypatch.setattr(content, "CACHE", tmp_path)
    folder = content.build(duration_s=6, segment_s=2)
    found = parse((folder / content.MANIFEST).read_text())
    assert found.bitrates_bps == tuple(1000.0 * r.bitrate_kbps for r in content.DEFAULT_LADDER)
    assert found.segments == 3
    for index, rate in enumerate(found.bitrates_bps):
        for number in range(1, found.segments):
            bits = 8 * os.path.getsize(folder / found.segment_url(index, number))
            assert bits / found.segment_s == pytest.approx(rate, rel=RATE_TOLERANCE)
    monkeypatch.setattr(content.subprocess, "run", lambda *a, **k: pytest.fail("re-encoded"))
    assert content.build(duration_s=6, segment_s=2) == folder
