"""Prediction models: pure functions from an experiment's parameters and
measurements to the textbook's claims, each with its stated model.

Each model module offers ``CHECKS`` (the names a spec may check) and
``quantities(spec, raw) -> (quantities, details)``."""
from orchestrator.experiment.models import (
          access_link,
          conditional_get,
          cookies,
          dns,
          http_hol,
          http_pages,
)
from orchestrator.experiment.models.base import Check, Quantity, evaluate

MODELS = {"access_link": access_link, "http_pages": http_pages, "http_hol": http_hol,
          "conditional_get": conditional_get, "cookies": cookies, "dns": dns}

__all__ = ["MODELS", "Check", "Quantity", "evaluate"]
