"""The slides' choker, pure: whom a peer unchokes, decided from what each
neighbour sent it, with its clock and random choices given to it, as
services.video.dash.abr decides bitrates. services.p2p.peer carries its
decisions out on libtorrent."""
from __future__ import annotations

import random

# The slides' tit-for-tat: four regular unchokes re-evaluated every 10 s, and
# one optimistic unchoke every 30 s. libtorrent's slot limit counts both.
REGULAR_UNCHOKE_SLOTS = 4
OPTIMISTIC_UNCHOKE_SLOTS = 1
UNCHOKE_INTERVAL_S = 10
OPTIMISTIC_UNCHOKE_INTERVAL_S = 30


class SlidesChoker:
    """The slides' tit-for-tat, decided in the peer: every 10 s, the four
    interested neighbours that sent it the most in those 10 s; and, for 30 s
    at a time, one more interested neighbour at random.

    libtorrent's own optimistic unchoke ends a turn as soon as its peer
    earns a regular slot and gives the next to the neighbour unchoked
    longest ago: a neighbour that never sends back keeps each turn it gets
    for the whole 30 s while the others' end within seconds, and it held
    2.7 times a recipient's mean (bittorrent.yaml, free-rider). Here every
    turn lasts its 30 s. Where fewer than four sent in the last 10 s, the
    other regular slots go to those that sent the most before, never to one
    that has sent nothing: near the end, when a leecher has nothing left
    that its partners lack, they still serve it."""

    def __init__(self, rng: random.Random, now: float):
        self.rng = rng
        self.regular: frozenset[str] = frozenset()
        self.optimistic: str | None = None
        self.next_round = now + UNCHOKE_INTERVAL_S
        self.turn_ends = now
        self.received_at_round: dict[str, int] = {}

    def decide(self, now: float, received: dict[str, int], interested: set[str]) -> None:
        """``received``: payload bytes received so far from each neighbour;
        ``interested``: the neighbours that want a piece from us."""
        if now >= self.next_round:
            lately = {n: received.get(n, 0) - self.received_at_round.get(n, 0)
                      for n in interested}
            givers = sorted((n for n in interested if received.get(n, 0) > 0),
                            key=lambda n: (-lately[n], -received[n], n))
            self.regular = frozenset(givers[:REGULAR_UNCHOKE_SLOTS])
            self.received_at_round = dict(received)
            self.next_round += UNCHOKE_INTERVAL_S
        if now >= self.turn_ends or self.optimistic not in interested:
            others = sorted(interested - self.regular - {self.optimistic})
            self.optimistic = self.rng.choice(others) if others else None
            # A turn lasts its 30 s; with no one to take it, look again next time.
            self.turn_ends = now + OPTIMISTIC_UNCHOKE_INTERVAL_S if others else now

    def unchoked(self, interested: set[str]) -> set[str]:
        """Whom to unchoke now: a chosen neighbour that lost interest since
        takes no slot."""
        return (self.regular | {self.optimistic}) & interested

    def optimistically(self, neighbour: str) -> bool:
        return neighbour == self.optimistic and neighbour not in self.regular


def choke_event(before: tuple[bool, bool] | None, now: tuple[bool, bool]) -> str | None:
    """What happened to a neighbour between two records of its (choked,
    optimistically unchoked): a new neighbour starts choked."""
    was_choked = True if before is None else before[0]
    if was_choked and not now[0]:
        return "optimistic-unchoke" if now[1] else "unchoke"
    if now[0] and not was_choked:
        return "choke"
    return None
