"""Validating only the bars that arrived since the last cycle reports, for those bars,
exactly what validating the whole history would."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from core.base.calendar import get_calendar
from core.data.bars import bar_array
from core.data.simulated import SimulatedMarket
from core.data.validation import (
    DataProblem,
    LastBar,
    NewBars,
    validate_bars,
    validate_new_bars,
)

CALENDAR = get_calendar()
NOW = datetime(2024, 3, 29, 21, 0, tzinfo=UTC)  # after the close of Thursday 2024-03-28


def history(symbol: str = "AAA") -> pd.DataFrame:
    market = SimulatedMarket(seed=3)
    return market.get_bars([symbol], datetime(2024, 1, 2, tzinfo=UTC), NOW)[symbol]


def spoil(bars: pd.DataFrame, first_new: int, seed: int) -> pd.DataFrame:
    """The history with a few of the new bars broken, each a different way."""
    rng = np.random.default_rng(seed)
    table = bar_array(bars).copy()
    rows = rng.choice(np.arange(first_new, len(bars)), size=4, replace=False)
    ways = rng.choice(9, size=4, replace=False)
    for row, way in zip(rows, ways, strict=True):
        o, h, low, c, _ = table[row]
        before = table[row - 1, 3]
        if way == 0:
            table[row, 3] = np.nan
        elif way == 1:
            table[row, 2] = -1.0
        elif way == 2:
            table[row, 1] = low * 0.99
        elif way == 3:
            table[row, 0] = h * 1.05
        elif way == 4:
            table[row, 3] = low * 0.95
        elif way == 5:
            table[row, 4] = -5.0
        elif way == 6:
            table[row, 4] = 0.0
        elif way == 7:  # opens at half the close before it: an unadjusted split
            table[row, 0] = before / 2
            table[row, 2] = min(low, before / 2)
        elif way == 8:
            table[row, 1] = max(h, o, c)  # harmless: stays clean
    return pd.DataFrame(table, index=bars.index, columns=bars.columns)


def new_part(bars: pd.DataFrame, first_new: int) -> NewBars:
    stamps = pd.DatetimeIndex(bars.index).as_unit("ns").asi8
    table = bar_array(bars)
    after = LastBar(int(stamps[first_new - 1]), float(table[first_new - 1, 3]))
    return NewBars(stamps[first_new:], table[first_new:], after)


def problems_after(bars: pd.DataFrame, first_new: int) -> list[DataProblem]:
    """What full validation reports about the bars from `first_new` on."""
    cut = bars.index[first_new - 1].to_pydatetime()
    full = validate_bars("AAA", bars, calendar=CALENDAR, now=NOW)
    return [p for p in full.problems if p.timestamp is not None and p.timestamp > cut]


@pytest.mark.parametrize("seed", range(12))
def test_new_bars_get_the_problems_full_validation_finds_in_them(seed: int) -> None:
    clean = history()
    first_new = len(clean) - 1 - seed % 6  # one to six new bars
    first_new = min(first_new, len(clean) - 4)  # room for four spoiled bars
    bars = spoil(clean, first_new, seed)
    if seed % 3 == 0:  # and a session with no bar among the new ones
        bars = bars.drop(bars.index[first_new + 1])
    found = validate_new_bars({"AAA": new_part(bars, first_new)}, calendar=CALENDAR, now=NOW)
    expected = problems_after(bars, first_new)
    assert expected, "the spoiled bars must break some rule"
    assert list(found["AAA"]) == expected


def test_a_split_right_after_the_last_validated_bar_is_found() -> None:
    bars = history()
    first_new = len(bars) - 1
    third = float(bars["close"].iloc[first_new - 1]) / 3
    bars.iloc[first_new] = [third, third * 1.01, third * 0.99, third, 1e6]
    found = validate_new_bars({"AAA": new_part(bars, first_new)}, calendar=CALENDAR, now=NOW)
    rules = [p.rule for p in found["AAA"]]
    assert rules == ["suspected_split"]
    assert found["AAA"][0].blocking
    assert "(×0.333)" in found["AAA"][0].detail


def test_nothing_new_is_still_checked_for_staleness() -> None:
    bars = history()
    stamps = pd.DatetimeIndex(bars.index).as_unit("ns").asi8
    empty = NewBars(np.empty(0, np.int64), np.empty((0, 5)), LastBar(int(stamps[-1]), 1.0))
    assert validate_new_bars({"AAA": empty}, calendar=CALENDAR, now=NOW) == {"AAA": ()}

    old = NewBars(np.empty(0, np.int64), np.empty((0, 5)), LastBar(int(stamps[-3]), 1.0))
    (stale,) = validate_new_bars({"AAA": old}, calendar=CALENDAR, now=NOW)["AAA"]
    assert stale.rule == "stale"
    assert stale.blocking
    assert stale.timestamp == bars.index[-3].to_pydatetime()


def test_each_symbol_gets_its_own_problems_and_its_own_listing_limit() -> None:
    many = history("AAA")
    first_new = len(many) - 25
    many["volume"] = np.where(np.arange(len(many)) >= first_new, 0.0, many["volume"])
    clean = history("BBB")
    found = validate_new_bars(
        {"AAA": new_part(many, first_new), "BBB": new_part(clean, len(clean) - 2)},
        calendar=CALENDAR,
        now=NOW,
    )
    assert found["BBB"] == ()
    assert [p.rule for p in found["AAA"]] == ["zero_volume"] * 21
    assert {p.symbol for p in found["AAA"]} == {"AAA"}
    assert found["AAA"][-1].detail == "5 more bars break this rule"
    assert list(found["AAA"]) == [*problems_after(many, first_new), found["AAA"][-1]]


def test_bars_that_are_not_new_are_refused() -> None:
    bars = history()
    part = new_part(bars, len(bars) - 3)
    behind = NewBars(part.stamps, part.values, LastBar(int(part.stamps[1]), 1.0))
    with pytest.raises(ValueError, match="after the last validated bar"):
        validate_new_bars({"AAA": behind}, calendar=CALENDAR, now=NOW)
