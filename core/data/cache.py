"""A provider wrapped in the SQLite bar cache: fetch only the ranges not yet cached.

Per (provider, symbol, timeframe, adjustment) the cache keeps one contiguous fetched
range and extends it at either end. Bars of a session that has not closed yet are never
cached (they would change), so the fetched range ends at `completed_through()`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import pandas as pd

from core.data.bars import Timeframe
from core.data.provider import MarketDataProvider
from storage.bar_cache import BarKey, coverage, read_bars, set_coverage, write_bars

log = logging.getLogger(__name__)

_ONE_SECOND = timedelta(seconds=1)
Range = tuple[datetime, datetime]


def missing_ranges(covered: Range | None, start: datetime, end: datetime) -> list[Range]:
    """The parts of [start, end] outside `covered`, chosen so that covered ∪ fetched
    stays one contiguous range."""
    if start > end:
        return []
    if covered is None:
        return [(start, end)]
    have_start, have_end = covered
    ranges = []
    if start < have_start:
        ranges.append((start, have_start - _ONE_SECOND))
    if end > have_end:
        ranges.append((have_end + _ONE_SECOND, end))
    return ranges


class CachedProvider:
    """Implements `MarketDataProvider` over another provider and the bar cache."""

    def __init__(
        self,
        provider: MarketDataProvider,
        *,
        completed_through: Callable[[], datetime] | None = None,
        adjustment: str = "all",
    ) -> None:
        self.provider = provider
        self.name = provider.name
        self._completed_through = completed_through
        self._adjustment = adjustment

    def _key(self, symbol: str, timeframe: Timeframe) -> BarKey:
        return BarKey(self.provider.name, symbol, timeframe.value, self._adjustment)

    def fill(
        self,
        symbols: Sequence[str],
        start: datetime,
        end: datetime,
        timeframe: Timeframe = Timeframe.DAY,
        on_fetched: Callable[[Sequence[str]], None] | None = None,
    ) -> int:
        """Fetch what the cache lacks for [start, end]; returns the bars written."""
        if self._completed_through is not None:
            end = min(end, self._completed_through())
        groups: dict[Range, list[str]] = defaultdict(list)
        covered: dict[str, Range | None] = {}
        for symbol in symbols:
            covered[symbol] = coverage(self._key(symbol, timeframe))
            for gap in missing_ranges(covered[symbol], start, end):
                groups[gap].append(symbol)
        written = 0
        for (gap_start, gap_end), group in groups.items():
            bars = self.provider.get_bars(group, gap_start, gap_end, timeframe)
            for symbol in group:
                key = self._key(symbol, timeframe)
                written += write_bars(key, bars.get(symbol, pd.DataFrame()))
                have = coverage(key)
                new_start = min(gap_start, have[0]) if have else gap_start
                new_end = max(gap_end, have[1]) if have else gap_end
                set_coverage(key, new_start, new_end)
            log.debug(
                "bar cache filled",
                extra={"symbols": len(group), "start": gap_start, "end": gap_end},
            )
            if on_fetched is not None:
                on_fetched(group)
        return written

    def get_bars(
        self,
        symbols: Sequence[str],
        start: datetime,
        end: datetime,
        timeframe: Timeframe = Timeframe.DAY,
    ) -> dict[str, pd.DataFrame]:
        self.fill(symbols, start, end, timeframe)
        return {s: read_bars(self._key(s, timeframe), start, end) for s in symbols}

    def latest_prices(self, symbols: Sequence[str]) -> dict[str, float]:
        return self.provider.latest_prices(symbols)
