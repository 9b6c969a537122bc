"""The player's playout buffer on an injected clock: segments arrive, play
starts once ``startup_s`` of video is buffered, the buffer drains in real
time while playing, and play stalls (rebuffers) when it runs dry until
``startup_s`` is buffered again. Pure: times are passed in."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Playout:
    startup_s: float = 2.0
    buffered_s: float = 0.0          # video in the buffer at ``at_s``
    at_s: float = 0.0
    playing: bool = False
    started_at_s: float | None = None
    stalls: list[tuple[float, float]] = field(default_factory=list)   # (from, to)
    _stalled_since: float | None = None
    played_s: float = 0.0

    def advance(self, now_s: float) -> None:
        """Play from the last time to ``now_s``; a dry buffer starts a stall."""
        if now_s < self.at_s:
            raise ValueError(f"time went back: {now_s} < {self.at_s}")
        if self.playing:
            elapsed = now_s - self.at_s
            if elapsed >= self.buffered_s:
                self.played_s += self.buffered_s
                self.playing = False
                self._stalled_since = self.at_s + self.buffered_s
                self.buffered_s = 0.0
            else:
                self.played_s += elapsed
                self.buffered_s -= elapsed
        self.at_s = now_s

    def add(self, now_s: float, duration_s: float) -> None:
        """A segment of ``duration_s`` arrived at ``now_s``."""
        self.advance(now_s)
        self.buffered_s += duration_s
        if not self.playing and self.buffered_s >= self.startup_s:
            self.playing = True
            if self.started_at_s is None:
                self.started_at_s = now_s
            elif self._stalled_since is not None:
                self.stalls.append((self._stalled_since, now_s))
            self._stalled_since = None

    def level(self, now_s: float) -> float:
        """The buffer at ``now_s``, without changing state."""
        if not self.playing:
            return self.buffered_s
        return max(0.0, self.buffered_s - (now_s - self.at_s))

    def stalled_s(self, now_s: float | None = None) -> float:
        """Time spent rebuffering after the start, up to ``now_s`` if still stalled."""
        done = sum(end - start for start, end in self.stalls)
        if self._stalled_since is not None and now_s is not None:
            done += now_s - self._stalled_since
        return done
