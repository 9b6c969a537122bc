"""What every ABR rule is given before a segment, and the one helper they
share. A rule is pure: ``choose(state)`` returns the index of the
representation to fetch (representations in ascending bitrate); no clock,
no I/O, so each is tested on synthetic traces."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlayerState:
    bitrates_bps: tuple[float, ...]          # ascending
    buffer_s: float
    throughputs_bps: tuple[float, ...] = ()  # per segment fetched, oldest first
    last: int | None = None                  # the previous segment's representation


def highest_at_most(bitrates_bps, rate_bps: float) -> int:
    """The index of the highest bitrate not above ``rate_bps`` (else the lowest)."""
    return max((i for i, b in enumerate(bitrates_bps) if b <= rate_bps), default=0)
