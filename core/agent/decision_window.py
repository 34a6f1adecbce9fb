"""How long a waiting signal has, in wall-clock time: what a countdown shows.

Live, the agent's clock is the wall clock and a signal waits until its `expires_at`
(15 minutes, or the close). In the demo the simulated clock stops while a signal waits
for a person who can answer, until it is decided or the demo's decision window (a
minute of real time by default) passes: the demo driver opens the window here, and
every countdown — Telegram's, the page's — reads the same deadline.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from core.base.clock import Clock
from core.base.types import TradingSignal


def wall_clock() -> datetime:
    return datetime.now(UTC)


class DecisionWindow:
    def __init__(self, clock: Clock, wall: Callable[[], datetime] = wall_clock) -> None:
        self._clock = clock
        self._wall = wall
        self.open_until: datetime | None = None
        """While a demo holds its clock for a person: the wall-clock end of the wait."""

    def deadline(self, signal: TradingSignal) -> datetime:
        """The wall-clock moment the signal stops waiting."""
        if self.open_until is not None:
            return min(self.open_until, self._wall() + (signal.expires_at - self._clock.now()))
        return self._wall() + (signal.expires_at - self._clock.now())

    def seconds_left(self, signal: TradingSignal) -> float:
        return max((self.deadline(signal) - self._wall()).total_seconds(), 0.0)
