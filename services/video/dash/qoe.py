"""The QoE figures players are compared by, from one session's segments.

The linear QoE is the common form (Yin et al., SIGCOMM 2015; Pensieve's
QoE_lin): per segment, bitrate in Mb/s, minus LAMBDA times each switch's
size in Mb/s, minus MU times each second of rebuffering. MU is the top
rung's bitrate, so a second of stall costs as much as a second of the best
video earns; startup delay is reported apart."""
from __future__ import annotations

from dataclasses import dataclass

LAMBDA = 1.0   # per Mb/s of bitrate change between consecutive segments


@dataclass(frozen=True)
class Qoe:
    average_bitrate_mbps: float
    switches: int
    average_switch_mbps: float
    rebuffer_count: int
    rebuffer_s: float
    rebuffer_ratio: float        # stall time over stall time plus play time
    startup_s: float | None
    linear_qoe: float            # per segment
    mu: float


def qoe(bitrates_bps: list[float], stalls_s: list[float], played_s: float,
        startup_s: float | None, top_bps: float) -> Qoe:
    """``bitrates_bps``: each segment's, in order; ``stalls_s``: each
    rebuffering's length after play started."""
    mbps = [b / 1e6 for b in bitrates_bps]
    steps = [abs(b - a) for a, b in zip(mbps, mbps[1:], strict=False) if b != a]
    rebuffer = sum(stalls_s)
    mu = top_bps / 1e6
    total = sum(mbps) - LAMBDA * sum(steps) - mu * rebuffer
    return Qoe(average_bitrate_mbps=sum(mbps) / len(mbps) if mbps else 0.0,
               switches=len(steps),
               average_switch_mbps=sum(steps) / len(steps) if steps else 0.0,
               rebuffer_count=len(stalls_s), rebuffer_s=rebuffer,
               rebuffer_ratio=rebuffer / (rebuffer + played_s) if rebuffer + played_s else 0.0,
               startup_s=startup_s, linear_qoe=total / len(mbps) if mbps else 0.0, mu=mu)
