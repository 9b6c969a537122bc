"""Quantities a model predicts, and checks of them against a spec's bounds."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Requires:
    """What a model reads from a scenario, checked with the spec: monitors by
    name (with what each must watch), and workloads by role: exactly one of
    each of ``workload_roles``, one or more of each of ``pooled_workload_roles``
    (a model that pools, say, every BitTorrent leecher); ``workload_params``:
    by role, the parameters its workloads must keep as given (what they
    log, say)."""

    monitors: dict[str, str] = field(default_factory=dict)
    workload_roles: tuple[str, ...] = ()
    pooled_workload_roles: tuple[str, ...] = ()
    workload_params: dict[str, dict[str, object]] = field(default_factory=dict)


def _no_lines(details: dict) -> list[str]:
    return []


@dataclass(frozen=True)
class Model:
    """What every model offers the runner, the checks of a spec and the
    report, in one shape. Its module declares ``CHECKS`` (the names a spec
    may check) and ``quantities(spec, run) -> (quantities, details)``, and
    may declare ``REQUIRES``, ``PLOTS`` (plots.py) and ``report_lines(details)``
    (what it says beyond the table)."""

    name: str
    checks: tuple[str, ...]
    quantities: Callable
    requires: Requires = Requires()
    plots: tuple = ()
    report_lines: Callable[[dict], list[str]] = _no_lines

    @classmethod
    def of(cls, name: str, module) -> Model:
        """The model a module declares; ValueError names what it lacks."""
        missing = [a for a in ("CHECKS", "quantities") if not hasattr(module, a)]
        if missing:
            raise ValueError(f"model {name!r} has no {' and no '.join(missing)}")
        return cls(name, tuple(module.CHECKS), module.quantities,
                   getattr(module, "REQUIRES", Requires()), tuple(getattr(module, "PLOTS", ())),
                   getattr(module, "report_lines", _no_lines))


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
    # The standard error of ``measured`` from its own sample (a binomial rate's,
    # or a mean's over its per-second series), for tolerances stated in σ.
    stderr: float | None = None


@dataclass(frozen=True)
class Check:
    name: str
    measured: float | None
    predicted: float | None
    tolerance: str
    unit: str
    ok: bool | None           # None: shown beside the textbook, not judged
    explanation: str
    textbook: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def evaluate(quantity: Quantity, bounds) -> Check:
    """Test ``quantity`` against a spec's check: an absolute, relative or
    RTT-sized tolerance around the prediction, and/or a min and max. The
    spec's ``textbook`` number, if any, is the one shown as the slide's."""
    measured, predicted = quantity.measured, quantity.predicted
    textbook = bounds.textbook if bounds.textbook is not None else quantity.textbook
    if not bounds.judged:
        return Check(quantity.name, measured, predicted, "", quantity.unit, None,
                     quantity.explanation, textbook)
    parts, ok = [], measured is not None
    allowances = [(f"{bounds.tolerance:g}", bounds.tolerance) if bounds.tolerance is not None
                  else None,
                  (f"{100 * bounds.tolerance_rel:g}%", None if predicted is None else
                   bounds.tolerance_rel * abs(predicted)) if bounds.tolerance_rel is not None
                  else None,
                  (f"{bounds.tolerance_rtts:g} RTT", None if quantity.rtt_s is None else
                   bounds.tolerance_rtts * quantity.rtt_s) if bounds.tolerance_rtts is not None
                  else None,
                  (f"{bounds.sigmas:g}σ", None if quantity.stderr is None else
                   bounds.sigmas * quantity.stderr) if bounds.sigmas is not None else None]
    allowances = [a for a in allowances if a is not None]
    if allowances:
        stated = [text for text, _ in allowances]
        known = [amount for _, amount in allowances if amount is not None]
        if bounds.combine == "sum" and len(stated) > 1:
            parts.append(f"±({' + '.join(stated)})")
            limit = sum(known)
        else:
            parts += [f"±{text}" for text in stated]
            limit = max(known, default=0.0)
        if bounds.sigmas is not None or (bounds.combine == "sum" and len(known) > 1):
            parts[-1] += f" = ±{limit:.3g}"  # the band this sample and prediction give
        ok = ok and predicted is not None and bool(known) and \
            abs(measured - predicted) <= limit
    if bounds.min is not None:
        parts.append(f">= {bounds.min:g}")
        ok = ok and measured >= bounds.min
    if bounds.max is not None:
        parts.append(f"<= {bounds.max:g}")
        ok = ok and measured <= bounds.max
    return Check(quantity.name, measured, predicted, ", ".join(parts), quantity.unit, bool(ok),
                 quantity.explanation, textbook)
