"""Market data replayed against a clock: what a live feed would have shown at `now`.

Only sessions that have closed by `now` exist; during a session the latest price moves
from the session's open towards its close. The simulated market serves its generated
history this way, and backtests serve any provider's history this way, so neither can
see the future.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

import pandas as pd

from core.base.calendar import ExchangeCalendar
from core.base.clock import Clock
from core.data.bars import SessionBar, Timeframe, clip_range, empty_bars
from core.data.provider import MarketDataError


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

    def frame(self, symbol: str) -> pd.DataFrame:
        if callable(self._history):
            return self._history(symbol)
        frame = self._history.get(symbol)
        return empty_bars() if frame is None else frame

    def session_bar(self, symbol: str, at: datetime) -> SessionBar | None:
        """The bar of the session `at` falls in (open and close included), for the
        replayed exchange; None outside a session or without a bar."""
        day = pd.Timestamp(at).tz_convert("America/New_York").date()
        if not self._calendar.is_session(day):
            return None
        opens = self._calendar.session_open(day)
        if not opens <= at <= self._calendar.session_close(day):
            return None
        frame = self.frame(symbol)
        stamp = pd.Timestamp(day, tz="UTC")
        position = int(frame.index.searchsorted(stamp))
        if position >= len(frame) or frame.index[position] != stamp:
            return None
        row = frame.iloc[position]
        return SessionBar(
            opens_at=opens,
            open=float(row["open"]),
            high=float(row["high"]),
            low=float(row["low"]),
            close=float(row["close"]),
        )

    def completed_through(self) -> datetime:
        """Midnight UTC of the last session closed at `now` (daily bars' stamp)."""
        now = self._clock.now()
        last = self._calendar.last_completed_session(now)
        return datetime.combine(last, datetime.min.time(), tzinfo=now.tzinfo)

    def get_bars(
        self,
        symbols: Sequence[str],
        start: datetime,
        end: datetime,
        timeframe: Timeframe = Timeframe.DAY,
    ) -> dict[str, pd.DataFrame]:
        if not timeframe.is_daily:
            raise MarketDataError(f"replayed data has daily bars only, not {timeframe}")
        end = min(end, self.completed_through())
        return {s: clip_range(self.frame(s), start, end) for s in symbols}

    def latest_prices(self, symbols: Sequence[str]) -> dict[str, float]:
        now = self._clock.now()
        session = self._calendar.session_of(now)
        fraction: float | None = None
        if session is not None:
            stamp = pd.Timestamp(session, tz="UTC")
            opened = self._calendar.session_open(session)
            closes = self._calendar.session_close(session)
            fraction = (now - opened) / (closes - opened)
        completed = pd.Timestamp(self.completed_through())
        prices = {}
        for symbol in symbols:
            frame = self.frame(symbol)
            if frame.empty:
                continue
            index = frame.index
            if fraction is not None:
                position = int(index.searchsorted(stamp))
                if position < len(index) and index[position] == stamp:
                    bar_open = float(frame["open"].to_numpy()[position])
                    bar_close = float(frame["close"].to_numpy()[position])
                    prices[symbol] = bar_open + (bar_close - bar_open) * fraction
                    continue
            position = int(index.searchsorted(completed, side="right"))
            if position:
                prices[symbol] = float(frame["close"].to_numpy()[position - 1])
        return prices
