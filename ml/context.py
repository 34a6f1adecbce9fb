"""Market context features: how the market (SPY) is doing and how the stock moves
with it.

Joined by exact session date: the stock's bar at t gets SPY's figures at t. A stock
session SPY has no bar for is an error naming the symbol and the date — forward-filling
a missing SPY day would quietly hand the model yesterday's market as today's.

Every column is a finite rolling window (no recursive smoothing), so a value depends on
the last `CONTEXT_WINDOW` bars only, never on where the history starts; all windows fit
inside the features' warm-up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.features import CONTEXT_FEATURE_NAMES, WARMUP_BARS, FeatureError
from ml.labels import log_prices

CONTEXT_SYMBOL = "SPY"
CONTEXT_WINDOW = 250
"""The longest window here (SPY's drawdown from its 250-session high); it fits inside
the features' warm-up (`WARMUP_BARS`), so every feature row has its full window."""


class ContextError(FeatureError):
    """The context (SPY) bars do not cover a session of a stock; names both."""


def aligned_context(context: pd.DataFrame, index: pd.DatetimeIndex, symbol: str) -> pd.DataFrame:
    """SPY's bars on exactly the stock's sessions, with enough history behind each."""
    missing = index.difference(pd.DatetimeIndex(context.index))
    if len(missing):
        raise ContextError(
            f"{symbol}: the market context ({CONTEXT_SYMBOL}) has no bar on "
            f"{missing[0]:%Y-%m-%d} ({len(missing)} session(s) missing); load "
            f"{CONTEXT_SYMBOL} over the same dates"
        )
    return context.loc[index]


def market_figures(context: pd.DataFrame) -> pd.DataFrame:
    """SPY's own figures over its whole history, once per sample build (not per stock):
    the five spy_* features and its log price, then picked on each stock's dates."""
    close = context["close"].astype(float)
    log = log_prices(close)
    return pd.DataFrame(
        {
            "spy_logret_5": log.diff(5),
            "spy_logret_20": log.diff(20),
            "spy_rv_20": log.diff().rolling(20).std(),
            "spy_drawdown_250": close / close.rolling(CONTEXT_WINDOW).max() - 1.0,
            "spy_close_sma_200": close / close.rolling(200).mean() - 1.0,
            "log": log,
        },
        index=context.index,
    )


def context_matrix(bars: pd.DataFrame, market: pd.DataFrame, symbol: str = "?") -> np.ndarray:
    """(bars − warm-up, context features), aligned with `feature_matrix` rows; `market`
    is `market_figures(SPY's bars)`."""
    on_days = aligned_context(market, pd.DatetimeIndex(bars.index), symbol)
    # Beta and relative strength pair the stock's move with SPY's over the same bars.
    stock_log = log_prices(bars["close"])
    stock_ret = stock_log.diff()
    market_log = on_days["log"]
    market_ret = market_log.diff()
    beta = stock_ret.rolling(60).cov(market_ret) / market_ret.rolling(60).var()
    columns = {
        **{name: on_days[name].to_numpy() for name in CONTEXT_FEATURE_NAMES[:5]},
        "beta_60": beta.to_numpy(),
        "rel_strength_20": (stock_log.diff(20) - market_log.diff(20)).to_numpy(),
        "rel_strength_60": (stock_log.diff(60) - market_log.diff(60)).to_numpy(),
    }
    matrix = np.column_stack([columns[name] for name in CONTEXT_FEATURE_NAMES])[WARMUP_BARS:]
    bad = ~np.isfinite(matrix)
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raise ContextError(
            f"{symbol}: context feature {CONTEXT_FEATURE_NAMES[column]} is not finite at "
            f"{bars.index[WARMUP_BARS + row]:%Y-%m-%d} ({CONTEXT_SYMBOL} needs "
            f"{CONTEXT_WINDOW} bars of history before the stock's first feature row)"
        )
    return matrix


def market_trend(bars: pd.DataFrame, market: pd.DataFrame, symbol: str = "?") -> np.ndarray:
    """SPY's close over its 200-session mean − 1 on each of the stock's bars (the trend
    filter's market half), whether or not the model reads context features."""
    trend = market[["spy_close_sma_200"]]
    return aligned_context(trend, pd.DatetimeIndex(bars.index), symbol).iloc[:, 0].to_numpy()
