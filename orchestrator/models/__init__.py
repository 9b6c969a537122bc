"""Prediction models: pure functions from an experiment's parameters and
measurements to the textbook's claims, each with its stated model."""
from orchestrator.models import access_link
from orchestrator.models.base import Check, Quantity, evaluate

MODELS = {"access_link": access_link}

__all__ = ["MODELS", "Check", "Quantity", "evaluate"]
