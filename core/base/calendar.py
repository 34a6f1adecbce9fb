"""The exchange calendar (XNYS by default): sessions, opens and closes with half days
and holidays, from `exchange_calendars`.

Core base module. All times in and out are timezone-aware UTC datetimes; sessions are
`date`s. `exchange_calendars` builds the schedule once (about a second, so one instance
per name is shared); every question after that is a binary search over plain lists,
because a replay asks them a dozen times per session and pandas lookups cost ~50 µs each.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import UTC, date, datetime
from functools import lru_cache

import exchange_calendars as xcals
import pandas as pd

CALENDAR_START = "1990-01-01"


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: pass a timezone-aware time")
    return value


def _seconds(value: datetime) -> float:
    return _aware(value).timestamp()


class ExchangeCalendar:
    def __init__(self, name: str = "XNYS") -> None:
        self.name = name
        schedule = xcals.get_calendar(name, start=CALENDAR_START).schedule
        # Sorted, parallel lists: session i opens at _opens[i] and closes at _closes[i].
        self._sessions: list[date] = [day.date() for day in schedule.index]
        self._opens: list[datetime] = [ts.to_pydatetime() for ts in schedule["open"]]
        self._closes: list[datetime] = [ts.to_pydatetime() for ts in schedule["close"]]
        self._position = {day: i for i, day in enumerate(self._sessions)}
        # The same instants as POSIX seconds: comparing floats is ~10× faster than
        # comparing aware datetimes, and a replay asks thousands of times.
        self._open_seconds = [moment.timestamp() for moment in self._opens]
        self._close_seconds = [moment.timestamp() for moment in self._closes]

    @property
    def first_session(self) -> date:
        return self._sessions[0]

    @property
    def last_session(self) -> date:
        return self._sessions[-1]

    def is_session(self, day: date) -> bool:
        return day in self._position

    def sessions(self, start: date, end: date) -> list[date]:
        """Sessions from start to end, both included, clipped to the calendar's range."""
        first = bisect_left(self._sessions, start)
        return self._sessions[first : bisect_right(self._sessions, end)]

    @lru_cache(maxsize=256)  # noqa: B019 - one calendar per name lives for the process
    def sessions_index(self, start: date, end: date) -> pd.DatetimeIndex:
        """The same sessions as midnight-UTC timestamps (the index of daily bars)."""
        # No freq: bar frames built from these compare equal to any provider's frames.
        index = pd.DatetimeIndex(pd.to_datetime(self.sessions(start, end)), name="timestamp")
        return index.tz_localize(UTC).as_unit("ns")

    def session_open(self, day: date) -> datetime:
        return self._opens[self._index_of(day)]

    def session_close(self, day: date) -> datetime:
        return self._closes[self._index_of(day)]

    def _index_of(self, day: date) -> int:
        try:
            return self._position[day]
        except KeyError:
            raise ValueError(f"{day} is not a {self.name} session") from None

    def _session_at(self, when: datetime) -> int | None:
        """Index of the session trading at `when`'s minute (open included, close not)."""
        minute = _seconds(when) // 60 * 60
        i = bisect_right(self._open_seconds, minute) - 1
        if i >= 0 and minute < self._close_seconds[i]:
            return i
        return None

    def is_open(self, when: datetime) -> bool:
        return self._session_at(when) is not None

    def next_open(self, when: datetime) -> datetime:
        """The first open strictly after `when` (at an open, the next session's)."""
        i = bisect_right(self._open_seconds, _seconds(when))
        if i == len(self._opens):
            raise ValueError(f"{when} is after the calendar's last session")
        return self._opens[i]

    def previous_close(self, when: datetime) -> datetime:
        """The last close strictly before `when` (at a close, the previous session's)."""
        i = bisect_left(self._close_seconds, _seconds(when)) - 1
        if i < 0:
            raise ValueError(f"{when} is before the calendar's first session")
        return self._closes[i]

    def session_of(self, when: datetime) -> date | None:
        """The session whose open..close contains `when`; None when the market is shut."""
        i = self._session_at(when)
        return None if i is None else self._sessions[i]

    def last_completed_session(self, when: datetime) -> date:
        """The latest session whose close is at or before `when`."""
        i = bisect_right(self._close_seconds, _seconds(when)) - 1
        if i < 0:
            raise ValueError(f"no completed session before {when}")
        return self._sessions[i]

    def previous_sessions(self, day: date, count: int) -> list[date]:
        """The `count` sessions ending with `day` (or the last one before it), oldest first."""
        end = bisect_right(self._sessions, day)
        return self._sessions[max(0, end - count) : end]


@lru_cache(maxsize=4)
def get_calendar(name: str = "XNYS") -> ExchangeCalendar:
    return ExchangeCalendar(name)
