"""How long a waiting signal has, and the one reminder before it expires (issue 18).

Every waiting signal's message shows the real time left: the Engine's
`decision_deadline` — live, the signal's expiry (15 minutes, or the close); in the demo,
the wall-clock window the simulated clock waits for a person. One task per waiting
signal sleeps until the reminder (half-time by default) and sends it, unless the signal
was decided meanwhile; the Engine expires the signal and its event edits the messages
("expired at …"), so nothing here decides or expires anything.

The demo opens its window a moment after the signal is announced, so a message can go
out showing the signal's own 15 minutes. The task re-reads the deadline every few
seconds and, when it has moved earlier, has the messages edited to the new one. A
deadline that moves later is the demo's window closing just before the expiry: ignored.

Time (`wall`) and waiting (`sleep`) are injected, so the schedule is tested without
waiting for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from core.base.types import TradingSignal

log = logging.getLogger(__name__)

REMINDER_SHARE = 0.5
"""The reminder goes at this share of the time to decide (half-time)."""
RECHECK_SECONDS = 2.0
"""How often the deadline is read again while waiting (an in-memory read)."""
MOVED_SECONDS = 2.0
"""A deadline that moved by less than this is the same deadline (clock jitter)."""


def wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Watch:
    signal: TradingSignal
    started: datetime
    """Wall-clock time the signal was first shown: half-time counts from here."""
    shown: datetime
    """The deadline its messages show."""
    reminded: bool = False
    task: asyncio.Task[None] | None = None

    def reminder_at(self, share: float) -> datetime:
        return self.started + (self.shown - self.started) * share


Deadline = Callable[[TradingSignal], datetime]
Waiting = Callable[[str], bool]
"""Still waiting for a decision, as far as the bot knows (no trip to the database)."""
Remind = Callable[[TradingSignal, datetime], Awaitable[None]]
Moved = Callable[[TradingSignal, datetime], Awaitable[None]]


class Countdowns:
    def __init__(
        self,
        deadline: Deadline,
        waiting: Waiting,
        remind: Remind,
        moved: Moved,
        *,
        wall: Callable[[], datetime] = wall_clock,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        share: float = REMINDER_SHARE,
        recheck: float = RECHECK_SECONDS,
    ) -> None:
        self._deadline = deadline
        self._waiting = waiting
        self._remind = remind
        self._moved = moved
        self._wall = wall
        self._sleep = sleep
        self.share = share
        self._recheck = recheck
        self._watches: dict[str, _Watch] = {}

    def deadline(self, signal: TradingSignal) -> datetime:
        """What a message about `signal` should show now."""
        watch = self._watches.get(signal.id)
        return watch.shown if watch is not None else self._deadline(signal)

    def now(self) -> datetime:
        return self._wall()

    def watch(self, signal: TradingSignal) -> datetime:
        """Start counting down (once per signal); returns the deadline to show."""
        watch = self._watches.get(signal.id)
        if watch is None:
            watch = _Watch(signal, started=self._wall(), shown=self._deadline(signal))
            self._watches[signal.id] = watch
            watch.task = asyncio.create_task(self._run(watch), name=f"countdown-{signal.id}")
        return watch.shown

    def watching(self) -> list[str]:
        return list(self._watches)

    def stop(self, signal_id: str) -> None:
        """The signal was decided or expired: no reminder, no more edits."""
        watch = self._watches.pop(signal_id, None)
        if watch is not None and watch.task is not None and watch.task is not _current():
            watch.task.cancel()

    async def close(self) -> None:
        tasks = [w.task for w in self._watches.values() if w.task is not None]
        self._watches.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _run(self, watch: _Watch) -> None:
        signal_id = watch.signal.id
        try:
            while self._watches.get(signal_id) is watch and self._waiting(signal_id):
                now = self._wall()
                latest = self._deadline(watch.signal)
                if (watch.shown - latest).total_seconds() > MOVED_SECONDS:
                    watch.shown = latest
                    await self._moved(watch.signal, latest)
                if now >= watch.shown:
                    return  # the Engine expires it; its event edits the messages
                reminder = watch.reminder_at(self.share)
                if not watch.reminded and now >= reminder:
                    watch.reminded = True
                    await self._remind(watch.signal, watch.shown)
                    continue
                until = watch.shown if watch.reminded else reminder
                await self._sleep(min((until - now).total_seconds(), self._recheck))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("countdown failed", extra={"signal": signal_id})
        finally:
            if self._watches.get(signal_id) is watch:
                del self._watches[signal_id]


def _current() -> asyncio.Task[object] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None
