"""Market data replayed against a clock: what a live feed would have shown at `now`.

Only sessions that have closed by `now` exist; during a session the latest price moves
from the session's open towards its close. The simulated market serves its generated
history this way, and backtests serve any provider's history this way, so neither can
see the future.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from core.base.calendar import ExchangeCalendar
from core.base.clock import Clock
from core.data.bars import SessionBar, Timeframe, empty_bars
from core.data.provider import MarketDataError

NEW_YORK = ZoneInfo("America/New_York")
_NS_PER_DAY = 86_400 * 10**9
_EPOCH = date(1970, 1, 1)


def _midnight_ns(day: date) -> int:
    """A session's daily-bar stamp (midnight UTC) as int64 nanoseconds."""
    return (day - _EPOCH).days * _NS_PER_DAY


@dataclass(frozen=True)
class _Columns:
    """One symbol's bars as plain arrays: a replay reads them several times a session,
    and a numpy lookup costs a microsecond where a pandas row costs fifty."""

    frame: pd.DataFrame
    stamps: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray

    @classmethod
    def of(cls, frame: pd.DataFrame) -> _Columns:
        index = pd.DatetimeIndex(frame.index)
        return cls(
            frame=frame,
            stamps=index.as_unit("ns").asi8 if len(index) else np.empty(0, np.int64),
            open=frame["open"].to_numpy(float),
            high=frame["high"].to_numpy(float),
            low=frame["low"].to_numpy(float),
            close=frame["close"].to_numpy(float),
        )

    def position_of(self, stamp: int) -> int | None:
        position = int(np.searchsorted(self.stamps, stamp))
        if position < len(self.stamps) and self.stamps[position] == stamp:
            return position
        return None

    def count_through(self, stamp: int) -> int:
        """How many bars are stamped at or before `stamp`."""
        return int(np.searchsorted(self.stamps, stamp, side="right"))


class ReplayMarket:
    def __init__(
        self,
        history: Mapping[str, pd.DataFrame] | Callable[[str], pd.DataFrame],
        *,
        clock: Clock,
        calendar: ExchangeCalendar,
        name: str = "replay",
    ) -> None:
        self._history = history
        self._clock = clock
        self._calendar = calendar
        self.name = name
        self._columns: dict[str, _Columns] = {}

    def frame(self, symbol: str) -> pd.DataFrame:
        if callable(self._history):
            return self._history(symbol)
        frame = self._history.get(symbol)
        return empty_bars() if frame is None else frame

    def _columns_of(self, symbol: str) -> _Columns:
        frame = self.frame(symbol)
        cached = self._columns.get(symbol)
        if cached is None or cached.frame is not frame:
            cached = self._columns[symbol] = _Columns.of(frame)
        return cached

    def session_bar(self, symbol: str, at: datetime) -> SessionBar | None:
        """The bar of the session `at` falls in (open and close included), for the
        replayed exchange; None outside a session or without a bar."""
        day = at.astimezone(NEW_YORK).date()
        if not self._calendar.is_session(day):
            return None
        opens = self._calendar.session_open(day)
        if not opens <= at <= self._calendar.session_close(day):
            return None
        columns = self._columns_of(symbol)
        position = columns.position_of(_midnight_ns(day))
        if position is None:
            return None
        return SessionBar(
            opens_at=opens,
            open=float(columns.open[position]),
            high=float(columns.high[position]),
            low=float(columns.low[position]),
            close=float(columns.close[position]),
        )

    def _last_completed(self) -> date:
        return self._calendar.last_completed_session(self._clock.now())

    def completed_through(self) -> datetime:
        """Midnight UTC of the last session closed at `now` (daily bars' stamp)."""
        return datetime.combine(self._last_completed(), datetime.min.time(), tzinfo=UTC)

    def get_bars(
        self,
        symbols: Sequence[str],
        start: datetime,
        end: datetime,
        timeframe: Timeframe = Timeframe.DAY,
    ) -> dict[str, pd.DataFrame]:
        if not timeframe.is_daily:
            raise MarketDataError(f"replayed data has daily bars only, not {timeframe}")
        first_ns = pd.Timestamp(start).value
        last_ns = min(pd.Timestamp(end).value, _midnight_ns(self._last_completed()))
        bars = {}
        for symbol in symbols:
            columns = self._columns_of(symbol)
            first = int(np.searchsorted(columns.stamps, first_ns, side="left"))
            bars[symbol] = columns.frame.iloc[first : columns.count_through(last_ns)]
        return bars

    def latest_prices(self, symbols: Sequence[str]) -> dict[str, float]:
        """The last close, or while a session trades a price moved from its open
        towards its close in proportion to the time gone."""
        now = self._clock.now()
        session = self._calendar.session_of(now)
        fraction: float | None = None
        today_ns = 0
        if session is not None:
            today_ns = _midnight_ns(session)
            opened = self._calendar.session_open(session)
            closes = self._calendar.session_close(session)
            fraction = (now - opened) / (closes - opened)
        completed_ns = _midnight_ns(self._last_completed())
        prices = {}
        for symbol in symbols:
            columns = self._columns_of(symbol)
            if fraction is not None:
                position = columns.position_of(today_ns)
                if position is not None:
                    bar_open = float(columns.open[position])
                    bar_close = float(columns.close[position])
                    prices[symbol] = bar_open + (bar_close - bar_open) * fraction
                    continue
            count = columns.count_through(completed_ns)
            if count:
                prices[symbol] = float(columns.close[count - 1])
        return prices
