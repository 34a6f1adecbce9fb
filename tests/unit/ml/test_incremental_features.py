"""Incremental features equal a full recompute, bit for bit, at every cut point.

A live cycle extends each symbol's cached feature rows by its new bars only
(`ml.feature_stream`, `ml.feature_cache`). These tests compare, after every single bar,
the incremental rows with `feature_matrix` over the history up to that bar, exactly
(`assert_array_equal`: TA-Lib's streaming handles carry the indicators' state, so no
tolerance is needed), and check that a changed history is noticed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest
import talib

from core.base.calendar import get_calendar
from core.data.bars import bar_array
from core.data.simulated import SimulatedMarket
from ml.dataset import build_samples
from ml.feature_cache import FeatureCache
from ml.feature_stream import FeatureStream
from ml.features import WARMUP_BARS, assemble, feature_matrix
from ml.indicators import INDICATOR_NAMES, indicator_columns

WINDOW = 360
"""Bars a live cycle fetches (about `feature_history_start`'s)."""


def generated_bars(n: int = 640, seed: int = 3) -> pd.DataFrame:
    """A fat-tailed random walk with the awkward days real data has: bars that do not
    move at all, zero-volume days and large gaps."""
    rng = np.random.default_rng(seed)
    index = get_calendar().sessions_index(date(2019, 1, 2), date(2022, 12, 30))[:n]
    returns = rng.standard_t(4, n) * 0.018
    returns[rng.choice(n, 8, replace=False)] *= 6  # crashes and jumps
    close = 40.0 * np.exp(np.cumsum(returns))
    previous = np.concatenate(([40.0], close[:-1]))
    open_ = previous * np.exp(rng.normal(0.0, 0.008, n))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 0.01, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 0.01, n)))
    volume = np.round(1e6 * np.exp(rng.normal(0.0, 0.6, n)))
    flat = rng.choice(np.arange(1, n), 12, replace=False)
    open_[flat] = high[flat] = low[flat] = close[flat] = close[flat - 1]
    volume[rng.choice(n, 6, replace=False)] = 0.0
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume},
        index=index,
    )


def simulated_bars() -> pd.DataFrame:
    market = SimulatedMarket(seed=11)
    start, end = datetime(2021, 1, 1, tzinfo=UTC), datetime(2023, 6, 30, tzinfo=UTC)
    return market.get_bars(["SIM"], start, end)["SIM"]


HISTORIES = {"generated": generated_bars, "simulated": simulated_bars}


@pytest.fixture(params=sorted(HISTORIES), scope="module")
def bars(request: pytest.FixtureRequest) -> pd.DataFrame:
    frame = HISTORIES[request.param]()
    assert len(frame) > WARMUP_BARS + 300  # a few hundred cut points
    return frame


def stamps_of(frame: pd.DataFrame) -> np.ndarray:
    return pd.DatetimeIndex(frame.index).as_unit("ns").asi8


def columns(table: np.ndarray) -> dict[str, np.ndarray]:
    return {name: table[:, i] for i, name in enumerate(INDICATOR_NAMES)}


def test_a_stream_opened_on_a_history_gives_the_function_api_columns(bars) -> None:
    table = bar_array(bars)
    _, opened = FeatureStream.open(table)
    full = indicator_columns(table)
    expected = np.column_stack([full[name] for name in INDICATOR_NAMES])
    np.testing.assert_array_equal(opened, expected)  # NaN where both warm up


def test_extending_bar_by_bar_equals_a_full_recompute_at_every_cut_point(bars) -> None:
    table = bar_array(bars)
    first = WARMUP_BARS + 1
    stream, _ = FeatureStream.open(table[:first])
    for cut in range(first + 1, len(bars) + 1):
        row = assemble(columns(stream.extend(table[cut - 1 : cut])))
        full = feature_matrix(bars.iloc[:cut], "X")
        np.testing.assert_array_equal(row[0], full[-1], err_msg=f"cut {cut}")


def test_extending_several_bars_at_once_equals_one_at_a_time(bars) -> None:
    table = bar_array(bars)
    first = WARMUP_BARS + 40
    one, _ = FeatureStream.open(table[:first])
    many, _ = FeatureStream.open(table[:first])
    singles = np.vstack([one.extend(table[i : i + 1]) for i in range(first, len(table))])
    sizes = np.random.default_rng(0).integers(0, 8, len(table))
    chunks, at = [], first
    for size in sizes:
        chunks.append(many.extend(table[at : at + size]))
        at += size
        if at >= len(table):
            break
    np.testing.assert_array_equal(np.vstack(chunks), singles)


def cache_after_rebuild(bars: pd.DataFrame, keep_rows: int = 30) -> FeatureCache:
    cache = FeatureCache(keep_rows=keep_rows)
    window = bars.iloc[:WINDOW]
    cache.rebuild("X", stamps_of(window), bar_array(window), window.index)
    return cache


def test_the_cache_follows_a_sliding_window_and_equals_the_full_recompute(bars) -> None:
    """What a live cycle does every session: fetch the last WINDOW bars, find the new one,
    extend. The kept rows and ATR equal a recompute over everything since the origin."""
    cache = cache_after_rebuild(bars)
    for cut in range(WINDOW + 1, len(bars) + 1):
        window = bars.iloc[max(0, cut - WINDOW) : cut]
        stamps, table = stamps_of(window), bar_array(window)
        first = cache.new_bars_from("X", stamps, table)
        assert first == len(window) - 1, f"cut {cut}: only the newest bar is new"
        assert cache.extend({"X": (stamps, table, first)}) == {}
        entry = cache.get("X")
        assert entry is not None
        history = bars.iloc[:cut]
        np.testing.assert_array_equal(entry.rows, feature_matrix(history, "X")[-30:])
        high, low, close = (history[c].to_numpy() for c in ("high", "low", "close"))
        atr = talib.ATR(high, low, close, 14)
        assert entry.atr == atr[-1], f"cut {cut}"
        assert entry.count == cut


def test_a_changed_history_is_noticed(bars) -> None:
    cache = cache_after_rebuild(bars)
    window = bars.iloc[10 : WINDOW + 1]  # the window slid by ten bars, one new bar
    stamps, table = stamps_of(window), bar_array(window)
    assert cache.new_bars_from("X", stamps, table) == len(window) - 1

    corrected = table.copy()
    corrected[200, 3] *= 1.001  # a provider corrected one close, long ago
    assert cache.new_bars_from("X", stamps, corrected) is None

    adjusted = table.copy()
    adjusted[:300, :4] /= 2.0  # a 2:1 split, back-adjusted by the provider
    adjusted[:300, 4] *= 2.0
    assert cache.new_bars_from("X", stamps, adjusted) is None

    gone = np.delete(np.arange(len(window)), 150)  # a bar the cache saw has vanished
    assert cache.new_bars_from("X", stamps[gone], table[gone]) is None

    earlier = bars.iloc[0:WINDOW]  # none new, nothing changed
    assert cache.new_bars_from("X", stamps_of(earlier), bar_array(earlier)) == WINDOW
    longer = bars.iloc[0 : WINDOW + 1]
    older = cache.get("X")
    assert older is not None
    # More history before the window the cache kept: not the history it was built on.
    cache.extend({"X": (stamps, table, len(window) - 1)})
    assert cache.new_bars_from("X", stamps_of(longer), bar_array(longer)) is None

    with_nan = table.copy()
    with_nan[100, 1] = np.nan
    assert cache.new_bars_from("X", stamps, with_nan) is None


def test_an_array_changed_in_place_after_caching_is_still_noticed(bars) -> None:
    """The cache keeps copies: a caller's array corrected in place later must not
    change what the cache remembers (or the correction would go unseen)."""
    window = bars.iloc[:WINDOW]
    table = bar_array(window).copy()  # writable, like a provider's own buffer
    cache = FeatureCache(keep_rows=5)
    cache.rebuild("X", stamps_of(window), table, window.index)
    table[100, 3] *= 1.01
    assert cache.new_bars_from("X", stamps_of(window), table) is None


def test_memory_is_bounded(bars) -> None:
    cache = cache_after_rebuild(bars, keep_rows=7)
    for cut in range(WINDOW + 1, WINDOW + 120):
        window = bars.iloc[cut - WINDOW : cut]
        stamps, table = stamps_of(window), bar_array(window)
        cache.extend({"X": (stamps, table, len(window) - 1)})
    entry = cache.get("X")
    assert entry is not None
    assert entry.rows.shape == (7, 33)
    assert len(entry.bars) == len(entry.stamps) == WINDOW


def test_the_least_recently_used_symbol_is_dropped_beyond_the_limit(bars) -> None:
    cache = FeatureCache(keep_rows=5, max_symbols=2)
    window = bars.iloc[:WINDOW]
    stamps, table = stamps_of(window), bar_array(window)
    cache.rebuild("A", stamps, table, window.index)
    cache.rebuild("B", stamps, table, window.index)
    assert cache.get("A") is not None  # A is now the most recently used
    cache.rebuild("C", stamps, table, window.index)
    assert len(cache) == 2
    assert "A" in cache
    assert "B" not in cache
    assert "C" in cache


def test_a_bar_the_indicators_refuse_drops_the_entry(bars) -> None:
    cache = cache_after_rebuild(bars)
    window = bars.iloc[1 : WINDOW + 1]
    stamps, table = stamps_of(window), bar_array(window).copy()
    table[-1, 2] = np.nan  # never validated: the stream must not be trusted after it
    failed = cache.extend({"X": (stamps, table, len(window) - 1)})
    assert set(failed) == {"X"}
    assert "X" not in cache


def test_samples_equal_the_latest_of_build_samples() -> None:
    market = SimulatedMarket(seed=5)
    end = datetime(2023, 6, 30, tzinfo=UTC)
    starts = {"BBB": datetime(2021, 9, 1, tzinfo=UTC), "AAA": datetime(2021, 6, 1, tzinfo=UTC)}
    bars = {s: market.get_bars([s], start, end)[s] for s, start in starts.items()}
    bars["AAA"] = bars["AAA"].iloc[:-3]  # an older newest bar: ordered by time first
    cache = FeatureCache(keep_rows=12)
    for symbol, frame in bars.items():
        cache.rebuild(symbol, stamps_of(frame), bar_array(frame), frame.index)
    ours = cache.samples(list(bars), lookback=12, horizon=3)
    theirs = build_samples(bars, lookback=12, horizon=3).latest()
    assert list(ours.symbols) == list(theirs.symbols) == ["AAA", "BBB"]
    assert list(ours.timestamps) == list(theirs.timestamps)
    assert ours.feature_names == theirs.feature_names
    assert (ours.lookback, ours.horizon, ours.target) == (12, 3, theirs.target)
    assert ours.matrix.dtype == theirs.matrix.dtype == np.float32
    np.testing.assert_array_equal(ours.sequences(), theirs.sequences())
    np.testing.assert_array_equal(ours.tabular(), theirs.tabular())
    assert np.isnan(ours.labels).all()
