"""One direction of an emulated link: netem's delay, jitter, loss and limit.

Pure logic with the clock passed in, so it is tested with a fake clock. The
relay process feeds it frames as they arrive and sends what ``release`` hands
back.
"""
from __future__ import annotations

import heapq
import random
from collections import deque
from dataclasses import dataclass, field

from topologies.params import DEFAULT_QUEUE_PACKETS


@dataclass(frozen=True)
class Impairment:
    """What one direction does to frames. Times in seconds, loss as a fraction."""

    delay_s: float = 0.0
    jitter_s: float = 0.0
    loss: float = 0.0
    limit: int = DEFAULT_QUEUE_PACKETS
    reorder: bool = False

    def __post_init__(self):
        if self.delay_s < 0 or self.jitter_s < 0:
            raise ValueError("delay and jitter must be >= 0")
        if not 0.0 <= self.loss <= 1.0:
            raise ValueError("loss must be a fraction in [0, 1]")
        if self.limit < 1:
            raise ValueError("limit must be >= 1 packet")

    @classmethod
    def from_message(cls, message: dict) -> Impairment:
        """From the relay's control message (ms and %, as link specs say)."""
        return cls(delay_s=float(message.get("delay_ms", 0.0)) / 1000.0,
                   jitter_s=float(message.get("jitter_ms", 0.0)) / 1000.0,
                   loss=float(message.get("loss_pct", 0.0)) / 100.0,
                   limit=int(message.get("limit", DEFAULT_QUEUE_PACKETS)),
                   reorder=bool(message.get("reorder", False)))


@dataclass
class Counters:
    """Per direction. ``relayed`` and ``dropped_write`` are kept by the relay,
    which does the writing; the rest by the delay line."""

    received: int = 0
    relayed: int = 0
    dropped_loss: int = 0
    dropped_queue: int = 0
    dropped_write: int = 0


@dataclass
class DelayLine:
    """Frames wait ``delay`` +- uniform ``jitter`` (netem's default
    distribution). Without ``reorder`` they leave in arrival order, a frame
    never overtaking the one before it; a full line (``limit`` frames) drops."""

    impairment: Impairment
    rng: random.Random
    counters: Counters = field(default_factory=Counters)

    def __post_init__(self):
        self._fifo: deque[tuple[float, bytes]] = deque()
        self._heap: list[tuple[float, int, bytes]] = []
        self._sequence = 0
        self._last_due = 0.0

    def __len__(self) -> int:
        return len(self._fifo) + len(self._heap)

    def configure(self, impairment: Impairment) -> None:
        """Change parameters at run time; frames already queued keep their due time."""
        self.impairment = impairment

    def _sample_delay(self) -> float:
        imp = self.impairment
        if imp.jitter_s <= 0:
            return imp.delay_s
        return max(0.0, imp.delay_s + self.rng.uniform(-imp.jitter_s, imp.jitter_s))

    def offer(self, frame: bytes, now: float) -> bool:
        """Take a frame that arrived at ``now``; False if it was dropped."""
        self.counters.received += 1
        imp = self.impairment
        if imp.loss > 0 and self.rng.random() < imp.loss:
            self.counters.dropped_loss += 1
            return False
        if len(self) >= imp.limit:
            self.counters.dropped_queue += 1
            return False
        due = now + self._sample_delay()
        if imp.reorder:
            heapq.heappush(self._heap, (due, self._sequence, frame))
            self._sequence += 1
        else:
            due = max(due, self._last_due)
            self._last_due = due
            self._fifo.append((due, frame))
        return True

    def next_due(self) -> float | None:
        """When the next frame is due, or None if the line is empty."""
        candidates = []
        if self._fifo:
            candidates.append(self._fifo[0][0])
        if self._heap:
            candidates.append(self._heap[0][0])
        return min(candidates) if candidates else None

    def release(self, now: float) -> list[bytes]:
        """Remove and return every frame due by ``now``, in departure order."""
        ready: list[tuple[float, bytes]] = []
        while self._fifo and self._fifo[0][0] <= now:
            ready.append(self._fifo.popleft())
        while self._heap and self._heap[0][0] <= now:
            due, _, frame = heapq.heappop(self._heap)
            ready.append((due, frame))
        ready.sort(key=lambda item: item[0])  # stable: FIFO order survives
        return [frame for _, frame in ready]
