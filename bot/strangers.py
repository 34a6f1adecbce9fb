"""What a refused sender costs: one reply and one audit row per user per hour, at most.

A stranger flooding the bot must not flood the owner's chat budget, the audit log or
the loop. The first attempt of a user's hour gets the neutral reply and writes an audit
row; later attempts in that hour are only counted. The count is carried in the user's
next row — at their first attempt after the hour, or by the hourly sweep, or when the
bot stops — so nothing is lost. Memory stays bounded: a user with nothing left to record
is forgotten after the hour.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

WINDOW_SECONDS = 3600.0


@dataclass(frozen=True)
class Row:
    """One audit row to write: `attempts` refused attempts of one user."""

    user: str
    attempts: int
    why: str
    detail: dict[str, str]
    actor: str
    origin: str


@dataclass
class _Sender:
    window_start: float
    unrecorded: int = 0
    last: Row | None = None


@dataclass(frozen=True)
class Verdict:
    reply: bool
    """Send the neutral reply (the first attempt of the user's hour)."""
    row: Row | None
    """Write this audit row now."""


@dataclass
class StrangerLimiter:
    window: float = WINDOW_SECONDS
    clock: Callable[[], float] = time.monotonic
    _senders: dict[str, _Sender] = field(default_factory=dict)

    def attempt(self, row: Row) -> Verdict:
        """`row` describes this one attempt (attempts=1)."""
        now = self.clock()
        sender = self._senders.get(row.user)
        if sender is None or now - sender.window_start >= self.window:
            carried = sender.unrecorded if sender else 0
            self._senders[row.user] = _Sender(window_start=now)
            return Verdict(reply=True, row=_with_attempts(row, carried + 1))
        sender.unrecorded += 1
        sender.last = row
        return Verdict(reply=False, row=None)

    def due(self) -> list[Row]:
        """Rows for users whose hour is over with attempts not yet recorded (the sweep);
        forgets users with nothing to record."""
        now = self.clock()
        rows = []
        for user, sender in list(self._senders.items()):
            if now - sender.window_start < self.window:
                continue
            if sender.unrecorded and sender.last is not None:
                rows.append(_with_attempts(sender.last, sender.unrecorded))
                self._senders[user] = _Sender(window_start=now)
            else:
                del self._senders[user]
        return rows

    def flush(self) -> list[Row]:
        """Every count not yet recorded (the bot is stopping)."""
        rows = [
            _with_attempts(sender.last, sender.unrecorded)
            for sender in self._senders.values()
            if sender.unrecorded and sender.last is not None
        ]
        for sender in self._senders.values():
            sender.unrecorded = 0
        return rows

    def tracked(self) -> int:
        return len(self._senders)


def _with_attempts(row: Row, attempts: int) -> Row:
    return Row(row.user, attempts, row.why, row.detail, row.actor, row.origin)
