"""Adaptive-bitrate rules, one interface for all: given what the player
knows before a segment, ``choose`` returns the index of the representation
to fetch (representations in ascending bitrate). Each rule is pure: no
clock, no I/O, so each is tested on synthetic traces.

- ``RateBased``: the highest bitrate below a safety factor times the
  harmonic mean of the last few segments' throughput (the slides' "the
  highest rate it can sustain").
- ``BufferBased``: BBA-0 (Huang et al., SIGCOMM 2014): the lowest rate while
  the buffer is under a reservoir, the highest above reservoir + cushion, a
  linear map between, with the previous rate kept until the map crosses a
  neighbouring rate.
- ``Bola``: BOLA-BASIC (Spiteri et al., INFOCOM 2016), parameterised as
  dash.js does: the rate maximising (V (u_m + γp) - Q) / S_m, with utility
  u_m = ln(S_m / S_1) + 1 and V, γp set from a minimum and a target buffer.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PlayerState:
    bitrates_bps: tuple[float, ...]          # ascending
    buffer_s: float
    throughputs_bps: tuple[float, ...] = ()  # per segment fetched, oldest first
    last: int | None = None                  # the previous segment's representation


def highest_at_most(bitrates_bps, rate_bps: float) -> int:
    """The index of the highest bitrate not above ``rate_bps`` (else the lowest)."""
    return max((i for i, b in enumerate(bitrates_bps) if b <= rate_bps), default=0)


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


@dataclass(frozen=True)
class Bola:
    name = "bola"
    segment_s: float = 2.0
    minimum_buffer_s: float = 10.0
    target_buffer_s: float = 20.0
    utilities: tuple[float, ...] = field(default=(), compare=False)

    def parameters(self, bitrates_bps) -> tuple[list[float], float, float]:
        """Utilities, γp and V (in seconds of buffer, as dash.js keeps them)."""
        utilities = [math.log(b / bitrates_bps[0]) + 1.0 for b in bitrates_bps]
        gp = (utilities[-1] - 1.0) / (self.target_buffer_s / self.minimum_buffer_s - 1.0)
        v = self.minimum_buffer_s / gp
        return utilities, gp, v

    def choose(self, state: PlayerState) -> int:
        utilities, gp, v = self.parameters(state.bitrates_bps)
        scores = [(v * (u + gp) - state.buffer_s) / b
                  for u, b in zip(utilities, state.bitrates_bps, strict=True)]
        return max(range(len(scores)), key=scores.__getitem__)


RULES = {rule.name: rule for rule in (RateBased, BufferBased, Bola)}
