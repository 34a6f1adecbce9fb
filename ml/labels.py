"""The outcome of the plan the bot executes: what the models learn to predict.

A candidate trade at signal bar t (a daily close) is the long trade the agent would
place if it bought:

- entry at the open of session t+1, slipped against the buyer by the broker's
  `slippage_bps`;
- the planned stop from the signal bar: `initial_stop(close_t, ATR_t)`, with ATR over
  `StopSettings.atr_period` bars where the method is atr; the planned risk per share
  R = close_t − planned stop is kept from the actual fill (stop = fill − R), as the
  approval step does when a fill differs from the signal's price;
- each session d from t+1 on: first the stop is checked against d's open and low
  (`check_stop`: a gap through the stop exits at the open), then the stop trails with
  d's high and the ATR of the bars through d−1 (`update_trailing`) — the order and the
  data the replayed watch job uses at each open;
- a time exit at the close of the `max_holding_sessions`-th session held (the entry
  session is the first);
- every exit slipped against the seller; commission per share on both sides.

The label is the trade's R multiple: profit per share net of costs over R. The rules
are risk's own functions (`risk.stops`) with the settings' parameters, so the label is
the plan the agent trades, not a look-alike.

An outcome is known once the full holding window has passed (t + max_holding_sessions
is a bar of the history); before that it is NaN even if the stop was already hit, so
the newest labels are not a sample of early losers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import talib

from core.base.settings import BrokerSettings, StopSettings, TradingConfig, TrailingSettings
from risk.stops import LongStop, StopError, check_stop, initial_stop, update_trailing

EXIT_STOP = "stop"
EXIT_TRAILING = "trailing_stop"
EXIT_TIME = "time"


@dataclass(frozen=True)
class PlanRules:
    """The trade plan: stops, trailing, time exit and costs, as the agent runs them."""

    stops: StopSettings = field(default_factory=StopSettings)
    trailing: TrailingSettings = field(default_factory=TrailingSettings)
    slippage_bps: float = 5.0
    commission_per_share: float = 0.0

    @classmethod
    def from_config(cls, trading: TradingConfig) -> PlanRules:
        return cls.from_settings(trading.stops, trading.trailing, trading.broker)

    @classmethod
    def from_settings(
        cls, stops: StopSettings, trailing: TrailingSettings, broker: BrokerSettings
    ) -> PlanRules:
        return cls(
            stops=stops,
            trailing=trailing,
            slippage_bps=broker.slippage_bps,
            commission_per_share=broker.commission_per_share,
        )

    @property
    def horizon(self) -> int:
        """Sessions from the signal bar to the latest possible exit (the label horizon)."""
        return self.stops.max_holding_sessions

    def as_dict(self) -> dict[str, object]:
        """The rules as plain values, for manifests and evaluation reports."""
        return {
            "stops": self.stops.model_dump(),
            "trailing": self.trailing.model_dump(),
            "slippage_bps": self.slippage_bps,
            "commission_per_share": self.commission_per_share,
            "horizon": self.horizon,
        }


@dataclass(frozen=True)
class PlanOutcomes:
    """One candidate trade per bar of a symbol's history (signal at that bar's close)."""

    r: np.ndarray
    """R multiple net of costs; NaN where the outcome is not known yet or the agent
    would refuse the trade (no usable ATR, a stop at or below zero)."""
    exit_offset: np.ndarray
    """Sessions from the signal bar to the exit bar (1 … horizon); 0 where unknown."""
    exit_reason: np.ndarray
    """"stop", "trailing_stop" or "time"; "" where unknown."""


def atr_series(bars: pd.DataFrame, period: int) -> np.ndarray:
    """ATR over `period` bars, as the agent computes it for stops (TA-Lib's Wilder ATR)."""
    return np.asarray(
        talib.ATR(
            bars["high"].to_numpy(dtype=float),
            bars["low"].to_numpy(dtype=float),
            bars["close"].to_numpy(dtype=float),
            period,
        ),
        dtype=float,
    )


def plan_outcomes(bars: pd.DataFrame, rules: PlanRules, *, first: int = 0) -> PlanOutcomes:
    """The plan's outcome for a trade signalled at each bar from position `first` on."""
    n = len(bars)
    r = np.full(n, np.nan)
    offsets = np.zeros(n, dtype=np.int64)
    reasons = np.full(n, "", dtype=object)
    arrays = BarArrays.of(bars, rules)
    slip = rules.slippage_bps / 10_000.0
    commission = rules.commission_per_share
    # Only signals whose whole holding window lies inside the history have an outcome.
    for t in range(max(first, 0), n - rules.horizon):
        outcome = _one_trade(t, arrays, rules, slip)
        if outcome is None:
            continue
        fill, risk, exit_price, offset, reason = outcome
        r[t] = (exit_price - fill - 2.0 * commission) / risk
        offsets[t] = offset
        reasons[t] = reason
    return PlanOutcomes(r=r, exit_offset=offsets, exit_reason=reasons)


def _one_trade(
    t: int, bars: BarArrays, rules: PlanRules, slip: float
) -> tuple[float, float, float, int, str] | None:
    """(entry fill, risk per share, exit fill, exit offset, reason), or None when the
    agent would not place this trade."""
    signal_atr = float(bars.atr[t])
    close = float(bars.closes[t])
    try:
        planned = initial_stop(
            close, signal_atr if math.isfinite(signal_atr) else None, rules.stops
        )
    except StopError:
        return None
    fill = float(bars.opens[t + 1]) * (1.0 + slip)
    risk = close - planned
    stop = fill - risk
    if not 0.0 < stop < fill:
        return None  # the approval step places no stop here; the plan is not this trade
    state = LongStop.open(fill, stop)
    exit_price, day, reason = follow_trade(
        state, bars, first=t + 1, last=t + rules.horizon, rules=rules
    )
    return fill, state.risk_per_share, exit_price * (1.0 - slip), day - t, reason


@dataclass(frozen=True)
class BarArrays:
    """A symbol's daily bars as arrays, with ATR over the plan's period."""

    opens: np.ndarray
    highs: np.ndarray
    lows: np.ndarray
    closes: np.ndarray
    atr: np.ndarray

    @classmethod
    def of(cls, bars: pd.DataFrame, rules: PlanRules) -> BarArrays:
        return cls(
            bars["open"].to_numpy(dtype=float),
            bars["high"].to_numpy(dtype=float),
            bars["low"].to_numpy(dtype=float),
            bars["close"].to_numpy(dtype=float),
            atr_series(bars, rules.stops.atr_period),
        )


def follow_trade(
    state: LongStop, bars: BarArrays, *, first: int, last: int, rules: PlanRules
) -> tuple[float, int, str]:
    """Walk a long position through sessions `first`..`last` (positions in `bars`) by
    the plan: each session the stop is checked against its open and low first (a gap
    through the stop exits at the open), then the stop trails with its high and the ATR
    of the bars before it; at the close of `last`, the time exit. Returns the exit price
    before slippage, the exit session's position and the reason. `last` must be a bar of
    `bars` and `first` at least 1 (the stop trails with the ATR of the bar before); the
    labels and the decision review both walk trades here."""
    if first < 1:
        raise ValueError(f"first session {first}: a trade starts after its signal's bar")
    # Plain floats for the trade's sessions: a numpy scalar per read, millions of times
    # for a large backtest's labels, cost more than the walk itself.
    opens = bars.opens[first : last + 1].tolist()
    highs = bars.highs[first : last + 1].tolist()
    lows = bars.lows[first : last + 1].tolist()
    atrs = bars.atr[first - 1 : last].tolist()  # the ATR known before each session
    for k, day in enumerate(range(first, last + 1)):
        hit = check_stop(state, open_price=opens[k], low=lows[k])
        if hit is not None:
            return hit.price, day, hit.reason
        if day == last:
            break
        trail_atr = atrs[k]
        state = update_trailing(
            state,
            high=highs[k],
            atr=trail_atr if math.isfinite(trail_atr) else None,
            rules=rules.trailing,
        )
    return float(bars.closes[last]), last, EXIT_TIME


def log_prices(prices: pd.Series) -> pd.Series:
    """Natural log of a price series, keeping its index."""
    return pd.Series(np.log(prices.to_numpy(dtype=float)), index=prices.index)


def direction_labels(close: pd.Series, horizon: int = 1, dead_zone: float = 0.0) -> pd.Series:
    """1.0 when the return over `horizon` bars is above `dead_zone`, 0.0 when below
    −`dead_zone` (or flat, without a dead zone), NaN inside the dead zone and where the
    future is not known yet. The diagnostic target: next-day direction."""
    values = close.to_numpy(dtype=float)
    future = np.full_like(values, np.nan)
    future[:-horizon] = values[horizon:] / values[:-horizon] - 1.0
    labels = np.full_like(values, np.nan)
    labels[future > dead_zone] = 1.0
    labels[future < -dead_zone] = 0.0
    if dead_zone == 0.0:
        labels[future == 0.0] = 0.0
    return pd.Series(labels, index=close.index)


def future_volatility_labels(close: pd.Series, window: int = 20, history: int = 250) -> pd.Series:
    """The positive control: 1.0 when the realised volatility of the next `window`
    daily log returns is above the median of all realised `window`-day volatilities
    known at t (at least `history` of them), else 0.0; NaN where unknown.

    Volatility clusters, so today's volatility predicts it: an honest pipeline must
    find this label (AUC well above 0.5) — if it cannot, it cannot find anything. The
    median is the expanding one, known at t, so the label itself peeks at nothing."""
    realised = log_prices(close).diff().rolling(window).std()
    future = realised.shift(-window)
    typical = realised.expanding(min_periods=history).median()
    labels = (future > typical).astype(float)
    labels[future.isna() | typical.isna()] = np.nan
    return labels
