"""Adaptive-bitrate rules, one module each, one interface for all
(``services.video.dash.abr.base``)."""
from services.video.dash.abr.base import PlayerState, highest_at_most
from services.video.dash.abr.bba import BufferBased
from services.video.dash.abr.bola import Bola
from services.video.dash.abr.rate import RateBased

RULES = {rule.name: rule for rule in (RateBased, BufferBased, Bola)}

__all__ = ["RULES", "Bola", "BufferBased", "PlayerState", "RateBased", "highest_at_most"]
