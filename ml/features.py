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
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import talib
from talib import MA_Type

from core.data.bars import bar_array

WARMUP_BARS = 250

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
    o, h, low, c, v = bar_array(bars).T.copy()  # contiguous columns for TA-Lib

    # numpy and TA-Lib only: this runs for every symbol in every live cycle.
    with np.errstate(divide="ignore", invalid="ignore"):
        log_close = np.log(c)
        log_ret = _diff(log_close, 1)
        macd, signal, hist = talib.MACD(c, 12, 26, 9)
        upper, middle, lower = talib.BBANDS(c, 20, 2.0, 2.0)
        band = upper - lower
        stoch_k, stoch_d = talib.STOCH(h, low, c, 14, 3, MA_Type.SMA, 3, MA_Type.SMA)
        obv = talib.OBV(c, v)
        volume_mean = talib.SMA(v, 20)
        volume_std = _sample_std(v, 20)
        columns = {
            "rsi_14": talib.RSI(c, 14) / 100.0,
            "macd_line": macd / c,
            "macd_signal": signal / c,
            "macd_hist": hist / c,
            "bb_pct_b": np.where(band > 0, (c - lower) / band, 0.5),
            "bb_width": band / middle,
            "atr_14": talib.ATR(h, low, c, 14) / c,
            "adx_14": talib.ADX(h, low, c, 14) / 100.0,
            "plus_di_14": talib.PLUS_DI(h, low, c, 14) / 100.0,
            "minus_di_14": talib.MINUS_DI(h, low, c, 14) / 100.0,
            "stoch_k": stoch_k / 100.0,
            "stoch_d": stoch_d / 100.0,
            "cci_20": talib.CCI(h, low, c, 20) / 100.0,
            "mfi_14": talib.MFI(h, low, c, v, 14) / 100.0,
            "obv_slope_20": _diff(obv, 20) / talib.SUM(v, 20),
            "roc_1": talib.ROCP(c, 1),
            "roc_5": talib.ROCP(c, 5),
            "roc_10": talib.ROCP(c, 10),
            "roc_20": talib.ROCP(c, 20),
            "logret_1": log_ret,
            "logret_5": _diff(log_close, 5),
            "logret_20": _diff(log_close, 20),
            "rv_10": _sample_std(log_ret, 10),
            "rv_20": _sample_std(log_ret, 20),
            "close_sma_10": c / talib.SMA(c, 10) - 1.0,
            "close_sma_20": c / talib.SMA(c, 20) - 1.0,
            "close_sma_50": c / talib.SMA(c, 50) - 1.0,
            "close_sma_200": c / talib.SMA(c, 200) - 1.0,
            "close_ema_10": c / talib.EMA(c, 10) - 1.0,
            "close_ema_20": c / talib.EMA(c, 20) - 1.0,
            "close_ema_50": c / talib.EMA(c, 50) - 1.0,
            "volume_z_20": np.where(volume_std > 0, (v - volume_mean) / volume_std, 0.0),
            "gap": o / np.concatenate(([np.nan], c[:-1])) - 1.0,
        }
    matrix = np.column_stack([columns[name] for name in FEATURE_NAMES])[WARMUP_BARS:]
    bad = ~np.isfinite(matrix)
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raise FeatureError(
            f"{symbol}: feature {FEATURE_NAMES[column]} is not finite at "
            f"{bars.index[WARMUP_BARS + row]:%Y-%m-%d} (validate the bars first)"
        )
    return matrix


def _diff(values: np.ndarray, periods: int) -> np.ndarray:
    out = np.full_like(values, np.nan)
    out[periods:] = values[periods:] - values[:-periods]
    return out


def _sample_std(values: np.ndarray, window: int) -> np.ndarray:
    """Rolling standard deviation with n − 1 in the denominator (as pandas computes it)."""
    return talib.STDDEV(values, window, 1.0) * np.sqrt(window / (window - 1))
