from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from core.base.calendar import get_calendar
from core.data.validation import validate_bars

DAYS = ["2024-03-04", "2024-03-05", "2024-03-06", "2024-03-07", "2024-03-08"]


def good_bars(days: list[str] = DAYS) -> pd.DataFrame:
    n = len(days)
    return pd.DataFrame(
        {
            "open": [10.0] * n,
            "high": [11.0] * n,
            "low": [9.0] * n,
            "close": [10.0] * n,
            "volume": [1000.0] * n,
        },
        index=pd.DatetimeIndex(days, tz=UTC, name="timestamp"),
    )


def with_bar(row: int, **values: float) -> pd.DataFrame:
    bars = good_bars()
    for column, value in values.items():
        bars.iloc[row, bars.columns.get_loc(column)] = value
    return bars


def test_clean_bars_have_no_problems() -> None:
    result = validate_bars(
        "KO", good_bars(), calendar=get_calendar(), now=datetime(2024, 3, 9, tzinfo=UTC)
    )
    assert result.problems == ()
    assert not result.blocking


@pytest.mark.parametrize(
    ("bars", "rule", "blocking", "detail"),
    [
        (with_bar(2, close=np.nan), "not_finite", True, "close is nan"),
        (with_bar(2, high=np.inf), "not_finite", True, "high is inf"),
        (with_bar(1, low=0.0), "non_positive_price", True, "must all be > 0"),
        (with_bar(1, open=-1.0, low=-2.0), "non_positive_price", True, "must all be > 0"),
        (with_bar(3, high=8.0), "high_below_low", True, "high 8.0 is below low 9.0"),
        (with_bar(3, open=11.5), "open_outside_range", True, "open 11.5 is outside [9.0, 11.0]"),
        (with_bar(3, close=8.5), "close_outside_range", True, "close 8.5 is outside [9.0, 11.0]"),
        (with_bar(0, volume=-5.0), "negative_volume", True, "volume -5.0 < 0"),
        (with_bar(0, volume=0.0), "zero_volume", False, "volume is 0"),
        (with_bar(4, open=5.0, high=5.5, low=4.8, close=5.1), "suspected_split", True, "×0.500"),
        (
            with_bar(4, open=30.0, high=31.0, low=29.0, close=30.5),
            "suspected_split",
            True,
            "×3.000",
        ),
    ],
    ids=[
        "nan",
        "inf",
        "zero-price",
        "negative-price",
        "high<low",
        "open-outside",
        "close-outside",
        "negative-volume",
        "zero-volume",
        "split-2:1",
        "reverse-split-1:3",
    ],
)
def test_each_rule(bars: pd.DataFrame, rule: str, blocking: bool, detail: str) -> None:
    result = validate_bars("PLTR", bars)
    matching = [p for p in result.problems if p.rule == rule]
    assert matching, result.problems
    problem = matching[0]
    assert problem.symbol == "PLTR"
    assert problem.blocking is blocking
    assert detail in problem.detail
    assert problem.timestamp is not None
    assert result.blocking is blocking


def test_a_real_crash_is_not_taken_for_a_split() -> None:
    # −40% at the open (AAPL-2000-style) is not within 1.5% of any split ratio.
    bars = with_bar(4, open=6.0, high=6.5, low=5.5, close=6.2)
    assert [p.rule for p in validate_bars("X", bars).problems] == []


def test_duplicates_keep_the_last_and_warn() -> None:
    bars = good_bars()
    dup = bars.iloc[[2]].copy()
    dup["close"] = 10.5
    result = validate_bars("KO", pd.concat([bars, dup]))
    assert [p.rule for p in result.problems] == ["duplicate_timestamp"]
    assert not result.blocking
    assert len(result.bars) == 5
    assert result.bars.loc["2024-03-06", "close"] == 10.5


def test_missing_sessions_against_the_calendar() -> None:
    bars = good_bars(["2024-03-04", "2024-03-05", "2024-03-07", "2024-03-08"])
    result = validate_bars("KO", bars, calendar=get_calendar())
    assert [(p.rule, p.timestamp.date().isoformat()) for p in result.problems] == [
        ("missing_session", "2024-03-06")
    ]


def test_a_bar_on_a_holiday_is_reported() -> None:
    bars = good_bars(["2024-07-03", "2024-07-04", "2024-07-05"])
    rules = [p.rule for p in validate_bars("KO", bars, calendar=get_calendar()).problems]
    assert rules == ["not_a_session"]


def test_stale_last_bar_blocks() -> None:
    result = validate_bars(
        "KO", good_bars(), calendar=get_calendar(), now=datetime(2024, 3, 12, 21, 0, tzinfo=UTC)
    )
    stale = [p for p in result.problems if p.rule == "stale"]
    assert stale[0].blocking
    assert "session 2024-03-12 has closed" in stale[0].detail


def test_no_bars_at_all_blocks() -> None:
    assert validate_bars("KO", good_bars().iloc[:0]).blocking


def test_many_bad_bars_are_summarised() -> None:
    days = pd.bdate_range("2024-01-01", periods=100, tz=UTC)
    bars = pd.DataFrame(
        {"open": 1.0, "high": 1.0, "low": 2.0, "close": 1.0, "volume": 1.0}, index=days
    )
    problems = validate_bars("X", bars).problems
    assert len(problems) == 21
    assert problems[-1].detail == "80 more bars break this rule"
