"""Adaptive-bitrate rules, one module each, one interface for all
(``services.dash.abr.base``)."""
from services.dash.abr.base import PlayerState, highest_at_most
from services.dash.abr.bba import BufferBased
from services.dash.abr.bola import Bola
from services.dash.abr.rate import RateBased

RULES = {rule.name: rule for rule in (RateBased, BufferBased, Bola)}

__all__ = ["RULES", "Bola", "BufferBased", "PlayerState", "RateBased", "highest_at_most"]
