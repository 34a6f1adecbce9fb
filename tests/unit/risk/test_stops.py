from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.base.settings import StopSettings, TrailingSettings
from risk.stops import LongStop, StopError, check_stop, initial_stop, update_trailing


@pytest.mark.parametrize(
    ("rules", "entry", "atr", "expected"),
    [
        (StopSettings(), 100.0, 2.5, 95.0),
        (StopSettings(atr_multiple=3.0), 100.0, 2.0, 94.0),
        (StopSettings(method="percent", percent=0.05), 100.0, None, 95.0),
    ],
)
def test_initial_stop(
    rules: StopSettings, entry: float, atr: float | None, expected: float
) -> None:
    assert initial_stop(entry, atr, rules) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("entry", "atr", "message"),
    [
        (100.0, None, "ATR None is not a positive number"),
        (100.0, 0.0, "ATR 0.0 is not a positive number"),
        (10.0, 6.0, "is not positive"),
        (0.0, 1.0, "entry price 0.0"),
    ],
)
def test_initial_stop_errors(entry: float, atr: float | None, message: str) -> None:
    with pytest.raises(StopError, match=message):
        initial_stop(entry, atr, StopSettings())


def test_stop_at_or_above_entry_refused() -> None:
    with pytest.raises(StopError, match="not below entry"):
        LongStop.open(entry=10.0, stop=10.0)


def test_trailing_starts_after_one_r_and_trails_by_atr() -> None:
    rules = TrailingSettings()  # +1R activation, 2 × ATR
    state = LongStop.open(entry=100.0, stop=96.0)  # R = 4
    state = update_trailing(state, high=103.9, atr=1.0, rules=rules)
    assert (state.stop, state.trailing) == (96.0, False)
    state = update_trailing(state, high=104.0, atr=1.0, rules=rules)
    assert state.trailing
    assert state.stop == pytest.approx(102.0)
    state = update_trailing(state, high=101.0, atr=1.0, rules=rules)  # price falls back
    assert state.stop == pytest.approx(102.0), "a stop never moves down"
    assert state.highest == 104.0


def test_trailing_by_percent_and_disabled() -> None:
    state = LongStop.open(entry=100.0, stop=95.0)
    percent = TrailingSettings(method="percent", percent=0.04, activate_at_r=0.0)
    assert update_trailing(state, high=110.0, atr=None, rules=percent).stop == pytest.approx(105.6)
    off = TrailingSettings(enabled=False)
    assert update_trailing(state, high=200.0, atr=1.0, rules=off).stop == 95.0


def test_wide_atr_never_lowers_the_stop() -> None:
    state = LongStop.open(entry=100.0, stop=98.0)
    state = update_trailing(state, high=103.0, atr=10.0, rules=TrailingSettings())
    assert state.stop == 98.0


@pytest.mark.parametrize(
    ("open_price", "low", "expected"),
    [
        (97.0, 96.0, None),  # above the stop
        (97.0, 95.0, (95.0, False)),  # traded through intraday: exits at the stop
        (97.0, 94.0, (95.0, False)),
        (93.0, 92.0, (93.0, True)),  # gapped below: exits at the open, not the stop
        (95.0, 95.0, (95.0, True)),  # opened exactly at the stop
    ],
)
def test_stop_check(open_price: float, low: float, expected: tuple[float, bool] | None) -> None:
    state = LongStop.open(entry=100.0, stop=95.0)
    exit_ = check_stop(state, open_price=open_price, low=low)
    if expected is None:
        assert exit_ is None
    else:
        assert (exit_.price, exit_.gapped, exit_.reason) == (*expected, "stop")


def test_trailing_exit_is_labelled() -> None:
    state = update_trailing(
        LongStop.open(entry=100.0, stop=96.0), high=110.0, atr=1.0, rules=TrailingSettings()
    )
    assert check_stop(state, open_price=107.0, low=107.0).reason == "trailing_stop"


@given(
    highs=st.lists(st.floats(min_value=1, max_value=1_000), min_size=1, max_size=60),
    atrs=st.lists(st.floats(min_value=0.01, max_value=50), min_size=60, max_size=60),
)
def test_trailing_stop_is_monotonic(highs: list[float], atrs: list[float]) -> None:
    state = LongStop.open(entry=100.0, stop=90.0)
    for high, atr in zip(highs, atrs, strict=False):
        new = update_trailing(state, high=high, atr=atr, rules=TrailingSettings())
        assert new.stop >= state.stop
        state = new
