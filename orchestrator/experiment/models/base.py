"""Quantities a model predicts, and checks of them against a spec's bounds."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Quantity:
    """One claim: measured, the corrected prediction, and the slide's number."""

    name: str
    measured: float | None
    predicted: float | None
    unit: str
    explanation: str
    textbook: float | None = None
    rtt_s: float | None = None  # the path's RTT, for tolerances stated in RTTs


@dataclass(frozen=True)
class Check:
    name: str
    measured: float | None
    predicted: float | None
    tolerance: str
    unit: str
    ok: bool
    explanation: str
    textbook: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def evaluate(quantity: Quantity, bounds) -> Check:
    """Test ``quantity`` against a spec's check: an absolute, relative or
    RTT-sized tolerance around the prediction, and/or a min and max."""
    measured, predicted = quantity.measured, quantity.predicted
    parts, ok = [], measured is not None
    if bounds.tolerance is not None:
        parts.append(f"±{bounds.tolerance:g}")
        ok = ok and predicted is not None and abs(measured - predicted) <= bounds.tolerance
    if bounds.tolerance_rel is not None or bounds.tolerance_rtts is not None:
        allowed, stated = [], []
        if bounds.tolerance_rel is not None and predicted is not None:
            allowed.append(bounds.tolerance_rel * abs(predicted))
            stated.append(f"{100 * bounds.tolerance_rel:g}%")
        if bounds.tolerance_rtts is not None and quantity.rtt_s is not None:
            allowed.append(bounds.tolerance_rtts * quantity.rtt_s)
            stated.append(f"{bounds.tolerance_rtts:g} RTT")
        if bounds.combine == "sum":
            parts.append(f"±({' + '.join(stated)})")
            limit = sum(allowed)
        else:
            parts += [f"±{s}" for s in stated]
            limit = max(allowed, default=0.0)
        ok = ok and predicted is not None and bool(allowed) and \
            abs(measured - predicted) <= limit
    if bounds.min is not None:
        parts.append(f">= {bounds.min:g}")
        ok = ok and measured >= bounds.min
    if bounds.max is not None:
        parts.append(f"<= {bounds.max:g}")
        ok = ok and measured <= bounds.max
    return Check(quantity.name, measured, predicted, ", ".join(parts), quantity.unit, bool(ok),
                 quantity.explanation, quantity.textbook)
