from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pandas as pd

from core.data.bars import Timeframe
from core.data.cache import CachedProvider, missing_ranges
from core.data.simulated import SimulatedMarket


class CountingProvider:
    """A real provider (the simulated market) that records what it is asked for."""

    name = "sim"

    def __init__(self) -> None:
        self.market = SimulatedMarket(seed=2)
        self.calls: list[tuple[tuple[str, ...], datetime, datetime]] = []

    def get_bars(
        self,
        symbols: Sequence[str],
        start: datetime,
        end: datetime,
        timeframe: Timeframe = Timeframe.DAY,
    ) -> dict[str, pd.DataFrame]:
        self.calls.append((tuple(symbols), start, end))
        return self.market.get_bars(symbols, start, end, timeframe)

    def latest_prices(self, symbols: Sequence[str]) -> dict[str, float]:
        return self.market.latest_prices(symbols)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_missing_ranges() -> None:
    have = (utc(2024, 3, 1), utc(2024, 6, 1))
    assert missing_ranges(None, utc(2024, 1, 1), utc(2024, 2, 1)) == [
        (utc(2024, 1, 1), utc(2024, 2, 1))
    ]
    assert missing_ranges(have, utc(2024, 4, 1), utc(2024, 5, 1)) == []
    assert missing_ranges(have, utc(2024, 1, 1), utc(2024, 7, 1)) == [
        (utc(2024, 1, 1), utc(2024, 2, 29, 23, 59, 59)),
        (utc(2024, 6, 1, 0, 0, 1), utc(2024, 7, 1)),
    ]
    assert missing_ranges(have, utc(2024, 8, 1), utc(2024, 7, 1)) == []


def test_second_read_comes_from_the_cache(database) -> None:
    source = CountingProvider()
    cache = CachedProvider(source)
    first = cache.get_bars(["AAA", "BBB"], utc(2023, 1, 1), utc(2023, 12, 31))
    second = cache.get_bars(["AAA", "BBB"], utc(2023, 3, 1), utc(2023, 9, 30))
    assert len(source.calls) == 1
    expected = source.market.get_bars(["AAA"], utc(2023, 1, 1), utc(2023, 12, 31))["AAA"]
    pd.testing.assert_frame_equal(first["AAA"], expected)
    pd.testing.assert_frame_equal(second["AAA"], expected.loc["2023-03-01":"2023-09-30"])


def test_only_missing_ranges_are_fetched(database) -> None:
    source = CountingProvider()
    cache = CachedProvider(source)
    cache.get_bars(["AAA"], utc(2023, 3, 1), utc(2023, 6, 30))
    bars = cache.get_bars(["AAA"], utc(2023, 1, 1), utc(2023, 9, 30))["AAA"]
    assert [(c[1], c[2]) for c in source.calls[1:]] == [
        (utc(2023, 1, 1), utc(2023, 2, 28, 23, 59, 59)),
        (utc(2023, 6, 30, 0, 0, 1), utc(2023, 9, 30)),
    ]
    expected = source.market.get_bars(["AAA"], utc(2023, 1, 1), utc(2023, 9, 30))["AAA"]
    pd.testing.assert_frame_equal(bars, expected)


def test_unfinished_sessions_are_not_cached(database) -> None:
    source = CountingProvider()
    cache = CachedProvider(source, completed_through=lambda: utc(2023, 6, 30))
    bars = cache.get_bars(["AAA"], utc(2023, 6, 1), utc(2023, 7, 31))["AAA"]
    assert bars.index[-1] == pd.Timestamp("2023-06-30", tz=UTC)
    assert source.calls[0][2] == utc(2023, 6, 30)


def test_cache_survives_reopening(tmp_path) -> None:
    from storage.database import close_database, open_database

    path = tmp_path / "cache.db"
    open_database(path)
    CachedProvider(CountingProvider()).get_bars(["AAA"], utc(2023, 1, 1), utc(2023, 3, 31))
    close_database()
    open_database(path)
    try:
        source = CountingProvider()
        bars = CachedProvider(source).get_bars(["AAA"], utc(2023, 1, 1), utc(2023, 3, 31))
        assert source.calls == []
        assert len(bars["AAA"]) > 50
    finally:
        close_database()
