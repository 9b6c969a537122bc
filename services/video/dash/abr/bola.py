"""BOLA-BASIC (Spiteri et al., INFOCOM 2016), parameterised as dash.js does:
the rate maximising (V (u_m + γp) - Q) / S_m, with utility
u_m = ln(S_m / S_1) + 1 and V, γp set from a minimum and a target buffer."""
from __future__ import annotations

import math
from dataclasses import dataclass

from services.video.dash.abr.base import PlayerState


@dataclass(frozen=True)
class Bola:
    name = "bola"
    minimum_buffer_s: float = 10.0
    target_buffer_s: float = 20.0

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
