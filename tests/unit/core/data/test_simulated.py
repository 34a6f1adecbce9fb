from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from core.base.calendar import get_calendar
from core.base.clock import SimulatedClock
from core.data.provider import MarketDataError
from core.data.simulated import SimulatedMarket
from core.data.validation import validate_bars

START = datetime(2014, 1, 1, tzinfo=UTC)
END = datetime(2023, 12, 31, tzinfo=UTC)
SYMBOLS = ["AAA", "BBB", "CCC", "DDD", "EEE"]


def test_same_seed_same_frames() -> None:
    a = SimulatedMarket(seed=11).get_bars(SYMBOLS, START, END)
    b = SimulatedMarket(seed=11).get_bars(SYMBOLS, START, END)
    for symbol in SYMBOLS:
        pd.testing.assert_frame_equal(a[symbol], b[symbol])
    c = SimulatedMarket(seed=12).get_bars(["AAA"], START, END)
    assert not a["AAA"].equals(c["AAA"])


def test_a_symbol_does_not_depend_on_the_range_or_company() -> None:
    market = SimulatedMarket(seed=5)
    alone = SimulatedMarket(seed=5).get_bars(["BBB"], datetime(2020, 1, 1, tzinfo=UTC), END)
    together = market.get_bars(SYMBOLS, START, END)["BBB"]
    pd.testing.assert_frame_equal(alone["BBB"], together.loc["2020-01-01":])


def test_bars_are_on_exchange_sessions_and_validate_clean() -> None:
    bars = SimulatedMarket().get_bars(SYMBOLS, START, END)
    calendar = get_calendar()
    for symbol, frame in bars.items():
        result = validate_bars(symbol, frame, calendar=calendar, now=END)
        assert result.problems == (), result.problems[:3]
        assert pd.Timestamp("2020-11-26", tz=UTC) not in frame.index  # Thanksgiving


def test_returns_look_like_stocks() -> None:
    bars = SimulatedMarket().get_bars(SYMBOLS, START, END)
    returns = pd.DataFrame({s: np.log(f["close"]).diff() for s, f in bars.items()}).dropna()
    daily_vol = returns.std()
    assert ((daily_vol > 0.008) & (daily_vol < 0.04)).all(), daily_vol
    assert (returns.kurt() > 1.0).all(), "fat tails"
    # Volatility clustering: absolute returns are autocorrelated.
    assert (returns.abs().apply(lambda r: r.autocorr(1)) > 0.05).all()
    # A market factor: symbols move together.
    corr = returns.corr().to_numpy()[np.triu_indices(len(SYMBOLS), 1)]
    assert (corr > 0.1).all()


def _momentum_hit_rate(frame: pd.DataFrame) -> float:
    r = np.log(frame["close"]).diff()
    signal = np.sign(r.rolling(10).sum().shift(1))
    valid = signal.notna() & (signal != 0)
    return float((np.sign(r[valid]) == signal[valid]).mean())


def test_predictability_knob() -> None:
    symbols = [f"S{i}" for i in range(8)]
    structured = SimulatedMarket(predictability=0.3).get_bars(symbols, START, END)
    random_walk = SimulatedMarket(predictability=0.0).get_bars(symbols, START, END)
    assert np.mean([_momentum_hit_rate(f) for f in structured.values()]) > 0.52
    assert np.mean([_momentum_hit_rate(f) for f in random_walk.values()]) == pytest.approx(
        0.5, abs=0.01
    )


def test_with_a_clock_only_closed_sessions_exist_and_prices_move_in_session() -> None:
    clock = SimulatedClock(datetime(2024, 7, 5, 13, 30, tzinfo=UTC))  # Friday's open
    market = SimulatedMarket(clock=clock)
    bars = market.get_bars(
        ["AAA"], datetime(2024, 7, 1, tzinfo=UTC), datetime(2024, 7, 31, tzinfo=UTC)
    )
    assert bars["AAA"].index[-1].date() == date(2024, 7, 3)
    friday = market.history("AAA").loc[pd.Timestamp("2024-07-05", tz=UTC)]
    assert market.latest_prices(["AAA"])["AAA"] == pytest.approx(friday["open"])
    clock.advance(timedelta(hours=3, minutes=15))  # half-way through a 6.5 h session
    midway = (friday["open"] + friday["close"]) / 2
    assert market.latest_prices(["AAA"])["AAA"] == pytest.approx(midway)
    clock.set(datetime(2024, 7, 6, 12, 0, tzinfo=UTC))  # Saturday
    assert market.latest_prices(["AAA"])["AAA"] == pytest.approx(friday["close"])
    after = market.get_bars(
        ["AAA"], datetime(2024, 7, 1, tzinfo=UTC), datetime(2024, 7, 31, tzinfo=UTC)
    )
    assert after["AAA"].index[-1].date() == date(2024, 7, 5)


def test_intraday_is_refused() -> None:
    from core.data.bars import Timeframe

    with pytest.raises(MarketDataError, match="daily bars only"):
        SimulatedMarket().get_bars(["AAA"], START, END, Timeframe.HOUR)


def _trend_hit_rate(frame: pd.DataFrame, window: int = 20) -> float:
    """How often the next `window` sessions move the way the last `window` did."""
    r = np.log(frame["close"]).diff()
    past = r.rolling(window).sum()
    future = past.shift(-window)
    valid = past.notna() & future.notna() & (past != 0)
    return float((np.sign(past[valid]) == np.sign(future[valid])).mean())


def test_trends_outlast_the_plans_holding_time() -> None:
    """Momentum looks back twenty sessions, as long as the plan holds a trade: a trend
    seen at entry tends to carry through the holding window — structure the plan's
    label can show. Without predictability only the small drift is left."""
    symbols = [f"S{i}" for i in range(8)]
    trending = SimulatedMarket(predictability=0.8).get_bars(symbols, START, END)
    random_walk = SimulatedMarket(predictability=0.0).get_bars(symbols, START, END)
    assert np.mean([_trend_hit_rate(f) for f in trending.values()]) > 0.57
    assert np.mean([_trend_hit_rate(f) for f in random_walk.values()]) == pytest.approx(
        0.5, abs=0.03
    )
