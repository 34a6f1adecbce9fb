"""Clocks: live time, or simulated time that a demo or backtest moves.

Core base module. Everything that asks "what time is it" takes a `Clock`, so the same
code runs live, in a demo at a speed factor, and in a backtest stepped bar by bar.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class LiveClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SimulatedClock:
    """Time that moves only when told to, or at `speed` simulated seconds per real second.

    `set` and `advance` work in both modes; with a speed, time keeps flowing from the
    new point.
    """

    def __init__(
        self,
        start: datetime,
        *,
        speed: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._check_aware(start)
        if speed is not None and speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self._monotonic = monotonic
        self._speed = speed
        self._anchor = start
        self._anchor_real = monotonic()

    @staticmethod
    def _check_aware(value: datetime) -> None:
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: simulated time must be timezone-aware")

    @property
    def speed(self) -> float | None:
        return self._speed

    def now(self) -> datetime:
        if self._speed is None:
            return self._anchor
        elapsed = (self._monotonic() - self._anchor_real) * self._speed
        return self._anchor + timedelta(seconds=elapsed)

    def set(self, when: datetime) -> None:
        self._check_aware(when)
        if when < self.now():
            raise ValueError(f"simulated time cannot go back from {self.now()} to {when}")
        self._anchor = when.astimezone(UTC)
        self._anchor_real = self._monotonic()

    def advance(self, delta: timedelta) -> datetime:
        self.set(self.now() + delta)
        return self.now()
