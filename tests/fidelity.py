"""linktest's bounds: how near a realizer's link must come to its
configuration. Shared by the realizers' fidelity tests and the test of an
experiment's own realizer."""

# RTT: ±(0.5 ms + 2 %): the relay adds ~0.25 ms per round trip on this machine
# (frame read wake-ups), and timer granularity grows with the delay.
RTT_ABS_TOLERANCE_MS = 0.5
RTT_REL_TOLERANCE = 0.02
# TCP goodput counts payload only: 1448 of 1514 wire bytes is 95.6 % at best,
# and HTB's burst lets a little more through after idle.
GOODPUT_MIN_FRACTION = 0.93
GOODPUT_MAX_FRACTION = 1.0


def rtt_tolerance(configured_ms: float) -> float:
    return RTT_ABS_TOLERANCE_MS + RTT_REL_TOLERANCE * configured_ms
