"""The exchange calendar (XNYS by default): sessions, opens and closes with half days
and holidays, through `exchange_calendars`.

Core base module. All times in and out are timezone-aware UTC datetimes; sessions are
`date`s. Building a calendar takes about a second, so one instance per name is shared.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import exchange_calendars as xcals
import pandas as pd

CALENDAR_START = "1990-01-01"


def _ts(value: datetime) -> pd.Timestamp:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: pass a timezone-aware time")
    return pd.Timestamp(value).tz_convert(UTC)


def _utc(value: pd.Timestamp) -> datetime:
    return value.tz_convert(UTC).to_pydatetime()


class ExchangeCalendar:
    def __init__(self, name: str = "XNYS") -> None:
        self.name = name
        self._calendar = xcals.get_calendar(name, start=CALENDAR_START)

    @property
    def first_session(self) -> date:
        return self._calendar.first_session.date()

    @property
    def last_session(self) -> date:
        return self._calendar.last_session.date()

    def is_session(self, day: date) -> bool:
        if not self.first_session <= day <= self.last_session:
            return False
        return bool(self._calendar.is_session(pd.Timestamp(day)))

    def sessions(self, start: date, end: date) -> list[date]:
        """Sessions from start to end, both included, clipped to the calendar's range."""
        return list(self._sessions_in_range(start, end).date)

    @lru_cache(maxsize=256)  # noqa: B019 - one calendar per name lives for the process
    def sessions_index(self, start: date, end: date) -> pd.DatetimeIndex:
        """The same sessions as midnight-UTC timestamps (the index of daily bars)."""
        days = self._sessions_in_range(start, end)
        # No freq: bar frames built from these compare equal to any provider's frames.
        index = pd.DatetimeIndex(days.tz_localize(UTC), name="timestamp", freq=None)  # type: ignore[arg-type]
        return index.as_unit("ns")

    def _sessions_in_range(self, start: date, end: date) -> pd.DatetimeIndex:
        start = max(start, self.first_session)
        end = min(end, self.last_session)
        if start > end:
            return pd.DatetimeIndex([])
        return self._calendar.sessions_in_range(start, end)

    def session_open(self, day: date) -> datetime:
        return _utc(self._calendar.session_open(pd.Timestamp(day)))

    def session_close(self, day: date) -> datetime:
        return _utc(self._calendar.session_close(pd.Timestamp(day)))

    def is_open(self, when: datetime) -> bool:
        ts = _ts(when).floor("min")
        return bool(self._calendar.is_open_on_minute(ts))

    def next_open(self, when: datetime) -> datetime:
        return _utc(self._calendar.next_open(_ts(when)))

    def previous_close(self, when: datetime) -> datetime:
        return _utc(self._calendar.previous_close(_ts(when)))

    def session_of(self, when: datetime) -> date | None:
        """The session whose open..close contains `when`; None when the market is shut."""
        if not self.is_open(when):
            return None
        return self._calendar.minute_to_session(_ts(when).floor("min")).date()

    @lru_cache(maxsize=64)  # noqa: B019 - asked once per symbol in a cycle, same `when`
    def last_completed_session(self, when: datetime) -> date:
        """The latest session whose close is at or before `when`."""
        local_day = _ts(when).tz_convert("America/New_York").date()
        for day in reversed(self.sessions(local_day - timedelta(days=14), local_day)):
            if self.session_close(day) <= when:
                return day
        raise ValueError(f"no completed session before {when}")

    def previous_sessions(self, day: date, count: int) -> list[date]:
        """The `count` sessions ending with `day` (or the last one before it), oldest first."""
        # Seven calendar days per five sessions leaves room for holidays.
        sessions = self.sessions(day - timedelta(days=2 * count + 10), day)
        return sessions[-count:]


@lru_cache(maxsize=4)
def get_calendar(name: str = "XNYS") -> ExchangeCalendar:
    return ExchangeCalendar(name)
