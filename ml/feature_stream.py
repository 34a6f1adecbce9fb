"""One symbol's indicator columns carried forward bar by bar, bit-identical to a full
recompute over the whole history.

The indicators are recursive (Wilder's smoothing in RSI, ATR and ADX; the EMAs and
MACD) or running sums (TA-Lib's moving averages add the new value and subtract the
oldest), so a value depends on every bar since the history began, down to the last bit.
Recomputing only a recent window would not give the same numbers; keeping each
indicator's state does. TA-Lib's streaming API (`talib.stream`, TA-Lib ≥ 0.8) is that
state: a handle opened on a history (`open_and_fill` also returns the function API's
series over it, in the same pass) and moved one closed bar at a time by `update`, whose
value is the one the function API gives for that bar over the whole history. The lag
columns need only the last `TAIL_BARS` log closes and OBV values, kept here.

Every bar fed must be finite (validated first): TA-Lib refuses a non-finite bar.
"""

from __future__ import annotations

from collections import deque
from operator import itemgetter
from typing import Any

import numpy as np
from talib import stream

from ml.indicators import (
    BAR_NAMES,
    INDICATOR_NAMES,
    INDICATORS,
    LOG_CLOSE_LAGS,
    OBV_LAG,
    TAIL_BARS,
    Indicator,
    bar_columns,
    lag,
)

_BAR_INPUTS = ("open", "high", "low", "close", "volume", "log_return")
"""The order of a bar's values as `_step` reads them."""
_OBV = INDICATOR_NAMES.index("obv") - len(BAR_NAMES)
"""OBV's place among the indicator outputs (`INDICATOR_NAMES` is the bar columns, then
every indicator's outputs in `INDICATORS` order)."""


if not hasattr(getattr(stream, "SMA", None), "open_and_fill"):
    # Older wrappers' `talib.stream` recomputes the whole input per call and keeps no
    # state: fail at start-up, not with wrong numbers in a cycle.
    raise ImportError(
        "live features need TA-Lib's streaming API (talib.stream handles with "
        "open_and_fill; the ta-lib package 0.8.2 has it): upgrade ta-lib"
    )


class FeatureStream:
    """The state behind one symbol's indicator columns, at its newest bar."""

    def __init__(
        self, handles: list[Any], log_close: list[float], obv: list[float], close: float
    ) -> None:
        self._calls = [
            (
                handle.update,
                itemgetter(*(_BAR_INPUTS.index(name) for name in indicator.inputs)),
                len(indicator.inputs) > 1,
                len(indicator.outputs) > 1,
            )
            for indicator, handle in zip(INDICATORS, handles, strict=True)
        ]
        self._log_close = deque(log_close, maxlen=TAIL_BARS)
        """The last `TAIL_BARS` log closes (for the log-return lags)."""
        self._obv = deque(obv, maxlen=TAIL_BARS)
        """The last `TAIL_BARS` OBV values (for its slope)."""
        self._close = close

    @classmethod
    def open(cls, table: np.ndarray) -> tuple[FeatureStream, np.ndarray]:
        """Handles over an (n, 5) open/high/low/close/volume history, and its
        (n, `INDICATOR_NAMES`) columns — equal to `ml.indicators.indicator_columns`."""
        if len(table) <= TAIL_BARS:
            raise ValueError(f"a feature stream needs more than {TAIL_BARS} bars")
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
            handles = []
            for indicator in INDICATORS:
                handle, result = _open(indicator, inputs)
                handles.append(handle)
                outputs = result if isinstance(result, tuple) else (result,)
                columns.update(zip(indicator.outputs, outputs, strict=True))
            obv = columns["obv"]
            columns |= bar_columns(o, c, v, log_close, obv)
        table_out = np.column_stack([columns[name] for name in INDICATOR_NAMES])
        state = cls(
            handles, log_close[-TAIL_BARS:].tolist(), obv[-TAIL_BARS:].tolist(), float(c[-1])
        )
        return state, table_out

    def extend(self, table: np.ndarray) -> np.ndarray:
        """The (k, `INDICATOR_NAMES`) columns of k new bars (a (k, 5) array), moving the
        state to the last of them. Each row equals the function API's over the whole
        history up to that bar."""
        if len(table) == 0:
            return np.empty((0, len(INDICATOR_NAMES)))
        # Plain floats per bar: a live cycle feeds one bar per symbol, where array
        # expressions cost more than the arithmetic. The log is numpy's, as in the full
        # recompute (libm's may differ in the last bit); − is the same IEEE operation.
        table = np.asarray(table, dtype=float)
        log_closes = np.log(table[:, 3]).tolist()
        rows = []
        for (o, h, low, c, v), log_close in zip(table.tolist(), log_closes, strict=True):
            logs, obvs = self._log_close, self._obv
            indicators = self._step((o, h, low, c, v, log_close - logs[-1]))
            # In `BAR_NAMES` order, then the indicators.
            rows.append(
                [
                    o,
                    c,
                    v,
                    self._close,
                    log_close,
                    *(logs[-n] for n in LOG_CLOSE_LAGS),
                    obvs[-OBV_LAG],
                    *indicators,
                ]
            )
            logs.append(log_close)
            obvs.append(indicators[_OBV])
            self._close = c
        return np.array(rows)

    def _step(self, bar: tuple[float, ...]) -> list[float]:
        """Every indicator's value for one new bar (open, high, low, close, volume, log
        return), in `INDICATORS` output order. The hot loop of a live cycle: each call is
        prepared once (`_calls`), so a bar costs one TA-Lib update per indicator."""
        values: list[float] = []
        for update, pick, many_in, many_out in self._calls:
            picked = pick(bar)
            result = update(*picked) if many_in else update(picked)
            if many_out:
                values.extend(result)
            else:
                values.append(result)
        return values


def _open(indicator: Indicator, inputs: dict[str, np.ndarray]) -> tuple[Any, Any]:
    kind = getattr(stream, indicator.function)
    return kind.open_and_fill(*(inputs[name] for name in indicator.inputs), *indicator.parameters)
