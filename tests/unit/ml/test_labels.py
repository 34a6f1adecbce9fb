"""The plan's outcome, worked out by hand on bars whose ATR is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.base.settings import BrokerSettings, StopSettings, TradingConfig, TrailingSettings
from ml.labels import (
    EXIT_STOP,
    EXIT_TIME,
    EXIT_TRAILING,
    BarArrays,
    PlanRules,
    atr_series,
    direction_labels,
    follow_trade,
    future_volatility_labels,
    plan_outcomes,
)
from ml.targets import DirectionTarget, PlanTarget, VolatilityTarget
from risk.stops import LongStop

SIGNAL = 20
SLIP = 5 / 10_000
# Flat bars: open = close = 100, high 101, low 99 → true range 2, ATR(14) = 2 from bar 14.
# The signal bar's plan: stop 100 − 2 × 2 = 96, R = 4; fill 100.05, stop kept R below it.
FILL = 100.0 * (1 + SLIP)
RISK = 4.0
STOP = FILL - RISK


def flat_bars(n: int = 40) -> pd.DataFrame:
    index = pd.date_range("2020-01-01", periods=n, freq="B", tz="UTC")
    return pd.DataFrame(
        {"open": 100.0, "high": 101.0, "low": 99.0, "close": 100.0, "volume": 1e6}, index=index
    )


def rules(holding: int = 5, **broker: float) -> PlanRules:
    return PlanRules.from_settings(
        StopSettings(max_holding_sessions=holding), TrailingSettings(), BrokerSettings(**broker)
    )


def at(bars: pd.DataFrame, row: int, **prices: float) -> pd.DataFrame:
    for column, value in prices.items():
        bars.iloc[row, bars.columns.get_loc(column)] = value
    return bars


def test_flat_bars_have_the_atr_the_cases_assume() -> None:
    assert atr_series(flat_bars(), 14)[SIGNAL] == pytest.approx(2.0)


def test_stop_hit_inside_a_bar_exits_at_the_stop() -> None:
    bars = at(flat_bars(), SIGNAL + 3, low=95.0)
    out = plan_outcomes(bars, rules())
    assert out.exit_reason[SIGNAL] == EXIT_STOP
    assert out.exit_offset[SIGNAL] == 3
    assert out.r[SIGNAL] == pytest.approx((STOP * (1 - SLIP) - FILL) / RISK)


def test_a_gap_through_the_stop_exits_at_the_open() -> None:
    bars = at(flat_bars(), SIGNAL + 2, open=94.0, low=93.0, close=95.0)
    out = plan_outcomes(bars, rules())
    assert out.exit_offset[SIGNAL] == 2
    assert out.r[SIGNAL] == pytest.approx((94.0 * (1 - SLIP) - FILL) / RISK)
    assert out.r[SIGNAL] < -1.4  # worse than −1R: the gap is the plan's real risk


def test_trailing_stop_follows_a_winner_and_locks_the_gain() -> None:
    bars = at(flat_bars(), SIGNAL + 2, high=106.0, close=105.0)
    bars = at(bars, SIGNAL + 3, open=105.0, high=105.5, low=104.0, close=104.5)
    bars = at(bars, SIGNAL + 4, open=104.0, high=104.0, low=101.0, close=101.5)
    out = plan_outcomes(bars, rules())
    # Bar +2 reaches 106 ≥ fill + 1R: the stop trails to 106 − 2 × ATR(bar +1) = 102,
    # raised only after bar +2's own check; bar +4's low of 101 takes it out at 102.
    assert out.exit_reason[SIGNAL] == EXIT_TRAILING
    assert out.exit_offset[SIGNAL] == 4
    assert out.r[SIGNAL] == pytest.approx((102.0 * (1 - SLIP) - FILL) / RISK)


def test_time_exit_at_the_close_of_the_last_session_held() -> None:
    bars = at(flat_bars(), SIGNAL + 5, close=100.8)
    out = plan_outcomes(bars, rules(holding=5))
    assert out.exit_reason[SIGNAL] == EXIT_TIME
    assert out.exit_offset[SIGNAL] == 5
    assert out.r[SIGNAL] == pytest.approx((100.8 * (1 - SLIP) - FILL) / RISK)


def test_costs_are_charged_both_ways() -> None:
    bars = flat_bars()
    free = plan_outcomes(bars, rules(slippage_bps=0.0)).r[SIGNAL]
    assert free == pytest.approx(0.0)
    costly = plan_outcomes(bars, rules(slippage_bps=0.0, commission_per_share=0.01)).r[SIGNAL]
    assert costly == pytest.approx(-0.02 / RISK)
    slipped = plan_outcomes(bars, rules()).r[SIGNAL]
    assert slipped == pytest.approx((100.0 * (1 - SLIP) - FILL) / RISK)


def test_unknown_and_refused_trades_have_no_label() -> None:
    bars = flat_bars(40)
    out = plan_outcomes(bars, rules(holding=5))
    # ATR(14) does not exist before bar 14: the agent places no ATR stop, so no trade.
    assert np.isnan(out.r[:14]).all()
    # The holding window must lie inside the history: the last 5 signals are unknown,
    # even a trade already stopped out (the newest labels would all be early losers).
    assert np.isnan(out.r[-5:]).all()
    assert np.isfinite(out.r[14:-5]).all()


def test_rules_come_from_the_settings() -> None:
    config = TradingConfig.model_validate(
        {"stops": {"max_holding_sessions": 7}, "broker": {"slippage_bps": 2.0}}
    )
    plan = PlanRules.from_config(config)
    assert plan.horizon == 7
    assert plan.slippage_bps == 2.0
    assert plan.as_dict()["stops"]["atr_multiple"] == config.stops.atr_multiple
    assert PlanTarget(plan).horizon == 7


def test_targets_label_what_they_say() -> None:
    bars = at(flat_bars(), SIGNAL + 3, low=95.0)
    label, r = PlanTarget(rules()).outcomes(bars, 0)
    assert label[SIGNAL] == 0.0
    assert r[SIGNAL] < 0
    assert np.isnan(label[-1])
    up, none = DirectionTarget().outcomes(bars, 0)
    assert np.isnan(none).all()
    assert up[SIGNAL + 2] == 0.0  # close 100 → 100
    assert VolatilityTarget().horizon == 20


def test_direction_labels_and_dead_zone() -> None:
    close = pd.Series([10.0, 11.0, 10.0, 10.05, 10.05, 9.0])
    assert direction_labels(close).tolist()[:5] == [1.0, 0.0, 1.0, 0.0, 0.0]
    assert np.isnan(direction_labels(close).iloc[-1])
    dz = direction_labels(close, dead_zone=0.01)
    assert np.isnan(dz.iloc[2])  # +0.5% is inside the 1% dead zone
    assert direction_labels(close, horizon=2).tolist()[:4] == [0.0, 0.0, 1.0, 0.0]


def test_volatility_label_compares_the_future_with_the_known_median() -> None:
    rng = np.random.default_rng(0)
    # Calm for 300 days, then stormy: the first stormy windows must be labelled 1.
    returns = np.concatenate([rng.normal(0, 0.005, 300), rng.normal(0, 0.03, 100)])
    close = pd.Series(100 * np.exp(np.cumsum(returns)))
    labels = future_volatility_labels(close, window=20, history=250)
    assert np.isnan(labels.iloc[:269]).all()  # 20 returns, then 250 of them for a median
    calm = labels.iloc[269:275]
    assert calm.isin([0.0, 1.0]).all()  # calm ahead: a coin flip around the median
    assert labels.iloc[300:370].eq(1.0).all()  # storm ahead, above the calm median
    assert np.isnan(labels.iloc[-20:]).all()


def test_a_trade_cannot_start_on_the_first_bar() -> None:
    # The stop trails with the ATR of the bar before each session: there is none before
    # bar 0 (numpy would have read the last bar's, from the future).
    arrays = BarArrays.of(flat_bars(), rules())
    with pytest.raises(ValueError, match="first session 0"):
        follow_trade(LongStop.open(100.0, 96.0), arrays, first=0, last=5, rules=rules())
