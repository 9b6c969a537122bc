"""Buffer-based, BBA-0 (Huang et al., SIGCOMM 2014): the lowest rate while
the buffer is under a reservoir, the highest above reservoir + cushion, a
linear map between, with the previous rate kept until the map crosses a
neighbouring rate."""
from __future__ import annotations

from dataclasses import dataclass

from services.video.dash.abr.base import PlayerState, highest_at_most


@dataclass(frozen=True)
class BufferBased:
    name = "bba"
    reservoir_s: float = 5.0
    cushion_s: float = 10.0

    def mapped_bps(self, state: PlayerState) -> float:
        low, high = state.bitrates_bps[0], state.bitrates_bps[-1]
        if state.buffer_s <= self.reservoir_s:
            return low
        if state.buffer_s >= self.reservoir_s + self.cushion_s:
            return high
        return low + (state.buffer_s - self.reservoir_s) / self.cushion_s * (high - low)

    def choose(self, state: PlayerState) -> int:
        rates, target = state.bitrates_bps, self.mapped_bps(state)
        if state.last is None:
            return highest_at_most(rates, target)
        last = state.last
        if target >= rates[-1]:
            return len(rates) - 1
        if target <= rates[0]:
            return 0
        if last + 1 < len(rates) and target >= rates[last + 1]:
            return max(i for i, b in enumerate(rates) if b < target)
        if last > 0 and target <= rates[last - 1]:
            return min(i for i, b in enumerate(rates) if b > target)
        return last
