"""Prediction models: pure functions from an experiment's parameters and
measurements to the textbook's claims, each with its stated model.

Each model module offers ``CHECKS`` (the names a spec may check), ``REQUIRES``
(the monitors and workloads it reads, checked with the spec), ``PLOTS`` and
``quantities(spec, run) -> (quantities, details)`` over a typed ``RunResult``;
``Model`` (base.py) is that interface, as everything else reads it."""
from orchestrator.experiment.models import (
          access_link,
          bittorrent,
          conditional_get,
          cookies,
          dash,
          distribution,
          dns,
          email,
          http3,
          http_hol,
          http_pages,
          programs,
)
from orchestrator.experiment.models.base import Check, Model, Quantity, Requires, evaluate

MODELS = {name: Model.of(name, module) for name, module in (
    ("access_link", access_link), ("http_pages", http_pages), ("http_hol", http_hol),
    ("http3", http3), ("conditional_get", conditional_get), ("cookies", cookies), ("dns", dns),
    ("distribution", distribution), ("bittorrent", bittorrent), ("dash", dash),
    ("email", email), ("programs", programs))}

__all__ = ["MODELS", "Check", "Model", "Quantity", "Requires", "evaluate"]
