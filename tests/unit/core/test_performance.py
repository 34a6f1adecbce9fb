from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from core.agent.performance import buy_and_hold, drawdown, performance_series


def _closes(values: list[float], days: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"close": values}, index=pd.DatetimeIndex(days, tz="UTC"))


def test_drawdown_is_the_share_below_the_running_peak() -> None:
    assert drawdown([100.0, 110.0, 99.0, 121.0]) == pytest.approx([0.0, 0.0, -0.1, 0.0])
    assert drawdown([]) == []


def test_buy_and_hold_splits_capital_equally_at_the_first_close() -> None:
    days = ["2024-01-02", "2024-01-03"]
    history = {"A": _closes([10.0, 20.0], days), "B": _closes([50.0, 50.0], days)}
    series = buy_and_hold(history, [date(2024, 1, 2), date(2024, 1, 3)], 1000.0)
    assert list(series) == pytest.approx([1000.0, 1500.0])


def test_a_day_without_a_bar_carries_the_last_close() -> None:
    history = {"A": _closes([10.0, 12.0], ["2024-01-02", "2024-01-04"])}
    days = [date(2024, 1, 2), date(2024, 1, 3), date(2024, 1, 4)]
    assert list(buy_and_hold(history, days, 100.0)) == pytest.approx([100.0, 100.0, 120.0])


def test_series_without_prices_has_no_benchmark_but_keeps_equity() -> None:
    closing = [(date(2024, 1, 2), 10_000.0, 0.0), (date(2024, 1, 3), 9_900.0, -100.0)]
    series = performance_series(closing, {})
    assert series.equity == [10_000.0, 9_900.0]
    assert series.benchmark == [None, None]
    assert series.drawdown == pytest.approx([0.0, -0.01])
    assert series.daily_pnl == [0.0, -100.0]
