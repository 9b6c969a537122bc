"""Rate-based: the highest bitrate below a safety factor times the harmonic
mean of the last few segments' throughput (the slides' "the highest rate it
can sustain")."""
from __future__ import annotations

import statistics
from dataclasses import dataclass

from services.video.dash.abr.base import PlayerState, highest_at_most


@dataclass(frozen=True)
class RateBased:
    name = "rate"
    safety: float = 0.8
    window: int = 3

    def estimate_bps(self, state: PlayerState) -> float | None:
        recent = state.throughputs_bps[-self.window:]
        return statistics.harmonic_mean(recent) if recent else None

    def choose(self, state: PlayerState) -> int:
        estimate = self.estimate_bps(state)
        if estimate is None:
            return 0
        return highest_at_most(state.bitrates_bps, self.safety * estimate)
