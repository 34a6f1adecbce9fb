"""What the features are made of: TA-Lib's indicators and the bar values and lags they
are combined with, per bar.

One table (`INDICATORS`) names every TA-Lib call with its inputs and parameters; the
function API reads it over a whole history here (`indicator_columns`), and the
streaming API reads the same table bar by bar (`ml.feature_stream`), so the two can
never disagree on a period or a moving-average type.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import talib
from talib import MA_Type

ATR_PERIOD = 14
"""ATR(14): a feature (over the close) and, in price units, the stops' volatility."""

LOG_CLOSE_LAGS = (1, 5, 20)
OBV_LAG = 20
TAIL_BARS = max(*LOG_CLOSE_LAGS, OBV_LAG)
"""The most bars back any lag column reaches."""


@dataclass(frozen=True)
class Indicator:
    function: str
    """TA-Lib's name: the same in `talib` (function API) and `talib.stream`."""
    inputs: tuple[str, ...]
    """Among open, high, low, close, volume and log_return (log close − previous)."""
    parameters: tuple[float | MA_Type, ...]
    """Positional, after the inputs."""
    outputs: tuple[str, ...]
    """Column names, in TA-Lib's output order."""


INDICATORS: tuple[Indicator, ...] = (
    Indicator("OBV", ("close", "volume"), (), ("obv",)),
    Indicator("RSI", ("close",), (14,), ("rsi",)),
    Indicator("MACD", ("close",), (12, 26, 9), ("macd", "macd_signal", "macd_hist")),
    Indicator("BBANDS", ("close",), (20, 2.0, 2.0), ("bb_upper", "bb_middle", "bb_lower")),
    Indicator("ATR", ("high", "low", "close"), (ATR_PERIOD,), ("atr",)),
    Indicator("ADX", ("high", "low", "close"), (14,), ("adx",)),
    Indicator("PLUS_DI", ("high", "low", "close"), (14,), ("plus_di",)),
    Indicator("MINUS_DI", ("high", "low", "close"), (14,), ("minus_di",)),
    Indicator(
        "STOCH",
        ("high", "low", "close"),
        (14, 3, MA_Type.SMA, 3, MA_Type.SMA),
        ("stoch_k", "stoch_d"),
    ),
    Indicator("CCI", ("high", "low", "close"), (20,), ("cci",)),
    Indicator("MFI", ("high", "low", "close", "volume"), (14,), ("mfi",)),
    Indicator("SUM", ("volume",), (20,), ("volume_sum_20",)),
    Indicator("SMA", ("volume",), (20,), ("volume_sma_20",)),
    Indicator("STDDEV", ("volume",), (20, 1.0), ("volume_stddev_20",)),
    Indicator("STDDEV", ("log_return",), (10, 1.0), ("logret_stddev_10",)),
    Indicator("STDDEV", ("log_return",), (20, 1.0), ("logret_stddev_20",)),
    *(Indicator("ROCP", ("close",), (n,), (f"rocp_{n}",)) for n in (1, 5, 10, 20)),
    *(Indicator("SMA", ("close",), (n,), (f"sma_{n}",)) for n in (10, 20, 50, 200)),
    *(Indicator("EMA", ("close",), (n,), (f"ema_{n}",)) for n in (10, 20, 50)),
)

BAR_NAMES: tuple[str, ...] = (
    "open",
    "close",
    "volume",
    "previous_close",
    "log_close",
    *(f"log_close_lag_{n}" for n in LOG_CLOSE_LAGS),
    f"obv_lag_{OBV_LAG}",
)
"""The bar's own values and the lags the features compare them with."""

INDICATOR_NAMES: tuple[str, ...] = BAR_NAMES + tuple(
    name for indicator in INDICATORS for name in indicator.outputs
)
"""Every column a feature row is assembled from (`ml.features.assemble`)."""


def lag(values: np.ndarray, periods: int) -> np.ndarray:
    """The value `periods` bars earlier (NaN before the first)."""
    out = np.full_like(values, np.nan)
    out[periods:] = values[:-periods]
    return out


def indicator_columns(table: np.ndarray) -> dict[str, np.ndarray]:
    """The `INDICATOR_NAMES` columns for every bar of an (n, 5) open/high/low/close/volume
    array, by TA-Lib's function API over the whole history."""
    o, h, low, c, v = table.T.copy()  # contiguous columns for TA-Lib
    with np.errstate(divide="ignore", invalid="ignore"):
        log_close = np.log(c)
        inputs = {
            "open": o,
            "high": h,
            "low": low,
            "close": c,
            "volume": v,
            "log_return": log_close - lag(log_close, 1),
        }
        columns: dict[str, np.ndarray] = {}
        for indicator in INDICATORS:
            function = getattr(talib, indicator.function)
            result = function(*(inputs[k] for k in indicator.inputs), *indicator.parameters)
            outputs = result if isinstance(result, tuple) else (result,)
            columns.update(zip(indicator.outputs, outputs, strict=True))
    return bar_columns(o, c, v, log_close, columns["obv"]) | columns


def bar_columns(
    o: np.ndarray, c: np.ndarray, v: np.ndarray, log_close: np.ndarray, obv: np.ndarray
) -> dict[str, np.ndarray]:
    """The `BAR_NAMES` columns over a whole history."""
    return {
        "open": o,
        "close": c,
        "volume": v,
        "previous_close": lag(c, 1),
        "log_close": log_close,
        **{f"log_close_lag_{n}": lag(log_close, n) for n in LOG_CLOSE_LAGS},
        f"obv_lag_{OBV_LAG}": lag(obv, OBV_LAG),
    }
