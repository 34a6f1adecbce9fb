"""Causal, scale-free technical features computed with TA-Lib.

Causal: the value at bar t uses bars ≤ t only (TA-Lib's indicators and pandas rolling
windows look back, never forward). Scale-free: prices enter as ratios, oscillators are
scaled to about [-1, 1] or [0, 1], so one model can be trained on a pooled universe of
$5 and $500 stocks.

Warm-up: recursive indicators (EMA, RSI, ATR, ADX) depend on where the series starts.
The first `WARMUP_BARS` rows are dropped, and the slowest recursive feature here is
EMA(50), whose start-up effect after 250 bars is below (1 − 2/51)^250 ≈ 5e-5 of its
value — a 200-bar trend uses SMA(200), which has no start-up effect at all. Live cycles,
backtests and training all compute features over history that starts at least
`WARMUP_BARS` bars before the first row used.

The same numbers two ways: over a whole history (`feature_matrix`, TA-Lib's function
API, for training and backtests), or extended one new bar at a time (`ml.feature_stream`,
TA-Lib's streaming API, which carries each indicator's state and gives bit-identical
values, for live cycles). Both produce the `ml.indicators` columns and combine them
with the one `assemble`, so a formula lives in one place.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from core.data.bars import bar_array
from ml.indicators import OBV_LAG, indicator_columns

WARMUP_BARS = 250
_SAMPLE_STD = {window: np.sqrt(window / (window - 1)) for window in (10, 20)}
"""TA-Lib's STDDEV divides by n; × √(n / (n − 1)) gives pandas' sample deviation."""

FEATURE_NAMES: tuple[str, ...] = (
    "rsi_14",
    "macd_line",
    "macd_signal",
    "macd_hist",
    "bb_pct_b",
    "bb_width",
    "atr_14",
    "adx_14",
    "plus_di_14",
    "minus_di_14",
    "stoch_k",
    "stoch_d",
    "cci_20",
    "mfi_14",
    "obv_slope_20",
    "roc_1",
    "roc_5",
    "roc_10",
    "roc_20",
    "logret_1",
    "logret_5",
    "logret_20",
    "rv_10",
    "rv_20",
    "close_sma_10",
    "close_sma_20",
    "close_sma_50",
    "close_sma_200",
    "close_ema_10",
    "close_ema_20",
    "close_ema_50",
    "volume_z_20",
    "gap",
)


CONTEXT_FEATURE_NAMES: tuple[str, ...] = (
    "spy_logret_5",
    "spy_logret_20",
    "spy_rv_20",
    "spy_drawdown_250",
    "spy_close_sma_200",
    "beta_60",
    "rel_strength_20",
    "rel_strength_60",
)
"""Market context columns (SPY and the stock against it), computed by `ml.context`."""


def feature_names(*, context: bool) -> tuple[str, ...]:
    """The columns of a sample row: the stock's own features, then the market context's."""
    return FEATURE_NAMES + CONTEXT_FEATURE_NAMES if context else FEATURE_NAMES


class FeatureError(ValueError):
    """Features cannot be computed for this history (too short, wrong columns). The symbol
    is skipped for the cycle and the user is told why."""


def compute_features(bars: pd.DataFrame, symbol: str = "?") -> pd.DataFrame:
    """Feature rows for every bar after the warm-up, columns in `FEATURE_NAMES` order."""
    matrix = feature_matrix(bars, symbol)
    return pd.DataFrame(matrix, index=bars.index[WARMUP_BARS:], columns=list(FEATURE_NAMES))


def feature_matrix(bars: pd.DataFrame, symbol: str = "?") -> np.ndarray:
    """The same as a (bars − warm-up, features) array, without building a frame."""
    if len(bars) <= WARMUP_BARS:
        raise FeatureError(
            f"{symbol}: {len(bars)} bars is too short; features need more than "
            f"{WARMUP_BARS} bars of history (the indicators' warm-up)"
        )
    missing = {"open", "high", "low", "close", "volume"} - set(bars.columns)
    if missing:
        raise FeatureError(f"{symbol}: bars lack column(s) {', '.join(sorted(missing))}")
    matrix = assemble(indicator_columns(bar_array(bars)))[WARMUP_BARS:]
    check_finite(matrix, bars.index, symbol, first=WARMUP_BARS)
    return matrix


def check_finite(matrix: np.ndarray, index: pd.Index, symbol: str, first: int = 0) -> None:
    """Raise a `FeatureError` naming the first feature and bar that is not finite; row r
    of `matrix` is the bar at `index[first + r]`."""
    if np.isfinite(matrix).all():
        return
    row, column = np.argwhere(~np.isfinite(matrix))[0]
    raise FeatureError(
        f"{symbol}: feature {FEATURE_NAMES[column]} is not finite at "
        f"{index[first + row]:%Y-%m-%d} (validate the bars first)"
    )


def assemble(columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """(rows, features) in `FEATURE_NAMES` order from `ml.indicators.INDICATOR_NAMES`
    columns.

    Row by row: each feature is an element-wise expression of the same row's indicator
    values, so any subset of rows (a live cycle's new bars) gives the same numbers as the
    whole history. The incremental path (`ml.feature_stream`) relies on that."""
    c, o, v = columns["close"], columns["open"], columns["volume"]
    log_close = columns["log_close"]
    lower, middle = columns["bb_lower"], columns["bb_middle"]
    with np.errstate(divide="ignore", invalid="ignore"):
        band = columns["bb_upper"] - lower
        volume_mean = columns["volume_sma_20"]
        volume_std = columns["volume_stddev_20"] * _SAMPLE_STD[20]
        features = {
            "rsi_14": columns["rsi"] / 100.0,
            "macd_line": columns["macd"] / c,
            "macd_signal": columns["macd_signal"] / c,
            "macd_hist": columns["macd_hist"] / c,
            "bb_pct_b": np.where(band > 0, (c - lower) / band, 0.5),
            "bb_width": band / middle,
            "atr_14": columns["atr"] / c,
            "adx_14": columns["adx"] / 100.0,
            "plus_di_14": columns["plus_di"] / 100.0,
            "minus_di_14": columns["minus_di"] / 100.0,
            "stoch_k": columns["stoch_k"] / 100.0,
            "stoch_d": columns["stoch_d"] / 100.0,
            "cci_20": columns["cci"] / 100.0,
            "mfi_14": columns["mfi"] / 100.0,
            "obv_slope_20": (columns["obv"] - columns[f"obv_lag_{OBV_LAG}"])
            / columns["volume_sum_20"],
            "roc_1": columns["rocp_1"],
            "roc_5": columns["rocp_5"],
            "roc_10": columns["rocp_10"],
            "roc_20": columns["rocp_20"],
            "logret_1": log_close - columns["log_close_lag_1"],
            "logret_5": log_close - columns["log_close_lag_5"],
            "logret_20": log_close - columns["log_close_lag_20"],
            "rv_10": columns["logret_stddev_10"] * _SAMPLE_STD[10],
            "rv_20": columns["logret_stddev_20"] * _SAMPLE_STD[20],
            "close_sma_10": c / columns["sma_10"] - 1.0,
            "close_sma_20": c / columns["sma_20"] - 1.0,
            "close_sma_50": c / columns["sma_50"] - 1.0,
            "close_sma_200": c / columns["sma_200"] - 1.0,
            "close_ema_10": c / columns["ema_10"] - 1.0,
            "close_ema_20": c / columns["ema_20"] - 1.0,
            "close_ema_50": c / columns["ema_50"] - 1.0,
            "volume_z_20": np.where(volume_std > 0, (v - volume_mean) / volume_std, 0.0),
            "gap": o / columns["previous_close"] - 1.0,
        }
    return np.column_stack([features[name] for name in FEATURE_NAMES])
