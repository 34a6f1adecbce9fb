"""Predictors: what turns market data into `ModelPrediction`s for a cycle.

`LivePredictor` fetches bars with the features' warm-up, validates the bars it has not
seen, extends each symbol's cached feature rows by them and asks the current ensemble.
`PrecomputedPredictor` serves predictions made in advance over a history (backtests) —
the features are causal, so predicting every bar at once equals predicting bar by bar
(the lookahead test checks exactly that). Both return the same `PredictionBatch`, so
the rest of the cycle is one code path.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import numpy as np
import pandas as pd
import talib

from core.agent.services import ModelHolder
from core.base.calendar import ExchangeCalendar, get_calendar
from core.base.types import ModelPrediction
from core.data.bars import bar_array, empty_bars
from core.data.provider import MarketDataError, MarketDataProvider
from core.data.validation import (
    DataProblem,
    LastBar,
    NewBars,
    validate_bars,
    validate_new_bars,
)
from ml.dataset import utc_nanoseconds
from ml.feature_cache import FeatureCache
from ml.features import WARMUP_BARS, FeatureError
from ml.indicators import ATR_PERIOD

_UTC_NS = pd.DatetimeTZDtype("ns", "UTC")

HISTORY_SPARE_SESSIONS = 40
"""Sessions read beyond the warm-up and the lookback, so a few missing bars still leave
enough."""


@dataclass
class PredictionBatch:
    predictions: list[ModelPrediction] = field(default_factory=list)
    problems: list[DataProblem] = field(default_factory=list)
    atr: dict[str, float] = field(default_factory=dict)
    """ATR(14) at the predicted bar, for stop placement: the features' own value."""


class Predictor(Protocol):
    def predict(
        self, symbols: Sequence[str], now: datetime, explain_edge: float | None
    ) -> PredictionBatch: ...


def feature_history_start(now: datetime, lookback: int) -> datetime:
    """The start of the bars a live cycle reads: the features' warm-up, the model's
    lookback and spare sessions, with room for weekends and holidays (≈ 252 sessions per
    365 days). Whatever reads ATR(14) to agree with the features' reads this much too:
    Wilder's smoothing forgets its start as (13/14)^n, below 1e-10 after these ~350 bars."""
    sessions = WARMUP_BARS + lookback + HISTORY_SPARE_SESSIONS
    return now - timedelta(days=int(sessions * 365 / 252) + 10)


def last_atr(bars: pd.DataFrame, period: int = ATR_PERIOD) -> float:
    """ATR at the last bar over `bars` (the same TA-Lib call the features make)."""
    values = talib.ATR(
        bars["high"].to_numpy(float),
        bars["low"].to_numpy(float),
        bars["close"].to_numpy(float),
        period,
    )
    return float(values[-1]) if len(values) and np.isfinite(values[-1]) else float("nan")


class LivePredictor:
    """The predictor a live agent runs. Feature rows are cached per symbol between
    cycles (`ml.feature_cache`): a cycle validates and computes only the bars it has not
    seen, and a changed history is recomputed from scratch."""

    def __init__(
        self,
        *,
        data: MarketDataProvider,
        calendar: ExchangeCalendar,
        models: ModelHolder,
        lookback: int,
        horizon: int,
        max_symbols: int = 1024,
    ) -> None:
        self._data = data
        self._calendar = calendar
        self._models = models
        self._lookback = lookback
        self._horizon = horizon
        self._features = FeatureCache(keep_rows=lookback, max_symbols=max_symbols)
        # A manual "run a cycle now" may overlap a scheduled one; the cache is one state.
        self._lock = threading.Lock()

    def history_start(self, now: datetime) -> datetime:
        return feature_history_start(now, self._lookback)

    def predict(
        self, symbols: Sequence[str], now: datetime, explain_edge: float | None
    ) -> PredictionBatch:
        batch = PredictionBatch()
        ensemble, run_id = self._models.current()
        if ensemble is None:
            batch.problems.append(
                DataProblem("*", None, "no_model", "no trained model; run `stockbot train`", True)
            )
            return batch
        try:
            bars = self._data.get_bars(symbols, self.history_start(now), now)
        except MarketDataError as error:
            batch.problems.append(DataProblem("*", None, "data_unavailable", str(error), True))
            return batch
        with self._lock:
            usable = self._refresh(symbols, bars, now, batch)
            if not usable:
                return batch
            samples = self._features.samples(usable, lookback=self._lookback, horizon=self._horizon)
        batch.predictions = ensemble.predictions(
            samples, model_run_id=run_id, explain_edge=explain_edge
        )
        return batch

    def _refresh(
        self,
        symbols: Sequence[str],
        bars: Mapping[str, pd.DataFrame],
        now: datetime,
        batch: PredictionBatch,
    ) -> list[str]:
        """Bring every symbol's cached rows up to its newest bar; the symbols whose rows
        can be predicted from, in `symbols` order."""
        rebuilt: set[str] = set()
        fetched: dict[str, tuple[np.ndarray, np.ndarray, int]] = {}
        new: dict[str, NewBars] = {}
        for symbol in symbols:
            frame = bars.get(symbol)
            frame = empty_bars() if frame is None else frame
            stamps, table = _arrays(frame)
            first = self._features.new_bars_from(symbol, stamps, table)
            entry = self._features.get(symbol)
            if first is None or entry is None:
                if self._rebuild(symbol, frame, now, batch):
                    rebuilt.add(symbol)
                continue
            fetched[symbol] = (stamps, table, first)
            after = LastBar(entry.last_stamp, entry.last_close)
            new[symbol] = NewBars(stamps[first:], table[first:], after)
        checked = validate_new_bars(new, calendar=self._calendar, now=now)
        updates: dict[str, tuple[np.ndarray, np.ndarray, int]] = {}
        for symbol, problems in checked.items():
            batch.problems.extend(problems)
            # A blocked symbol's entry stays at its last good bar: these bars are new
            # again next cycle, and checked again.
            if not any(p.blocking for p in problems):
                updates[symbol] = fetched[symbol]
        failed = self._features.extend(updates)
        for symbol, error in failed.items():
            batch.problems.append(DataProblem(symbol, None, "features", str(error), True))
        ready = [s for s in symbols if s in rebuilt or (s in updates and s not in failed)]
        for symbol in ready:
            entry = self._features.get(symbol)
            assert entry is not None  # rebuilt or extended just now
            batch.atr[symbol] = entry.atr
        return ready

    def _rebuild(
        self, symbol: str, frame: pd.DataFrame, now: datetime, batch: PredictionBatch
    ) -> bool:
        """Validate the whole history and compute its features afresh (a new symbol, a
        restart, or a history that changed); whether the symbol can be predicted."""
        self._features.drop(symbol)
        result = validate_bars(symbol, frame, calendar=self._calendar, now=now)
        batch.problems.extend(result.problems)
        if result.blocking:
            return False
        need = WARMUP_BARS + self._lookback
        if len(result.bars) <= need:
            batch.problems.append(
                DataProblem(
                    symbol,
                    None,
                    "too_short",
                    f"{len(result.bars)} bars; need more than {need}",
                    True,
                )
            )
            return False
        stamps, table = _arrays(result.bars)
        try:
            self._features.rebuild(symbol, stamps, table, result.bars.index)
        except FeatureError as error:
            batch.problems.append(DataProblem(symbol, None, "features", str(error), True))
            return False
        return True


def _arrays(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The bars' UTC nanosecond stamps and (n, 5) values. Stamps that are not strictly
    ascending come back empty, so the cache rebuilds and full validation names the
    problem (duplicates, disorder)."""
    if frame.empty:
        return np.empty(0, np.int64), np.empty((0, 5))
    index = frame.index
    # Providers' frames are already UTC nanoseconds (core.data.bars): no conversion.
    if not (isinstance(index, pd.DatetimeIndex) and index.dtype == _UTC_NS):
        index = utc_nanoseconds(index)
    stamps = index.asi8
    if not (stamps[1:] > stamps[:-1]).all():
        return np.empty(0, np.int64), np.empty((0, 5))
    return stamps, bar_array(frame)


class PrecomputedPredictor:
    """Predictions made in advance, served for the newest session closed at `now`."""

    def __init__(
        self,
        predictions: Mapping[tuple[pd.Timestamp, str], ModelPrediction],
        atr: Mapping[tuple[pd.Timestamp, str], float],
        calendar: ExchangeCalendar | None = None,
    ) -> None:
        self._predictions = dict(predictions)
        self._atr = dict(atr)
        self._calendar = calendar or get_calendar()

    def add(self, bar_time: pd.Timestamp, prediction: ModelPrediction) -> None:
        self._predictions[(bar_time, prediction.symbol)] = prediction

    def predict(
        self, symbols: Sequence[str], now: datetime, explain_edge: float | None
    ) -> PredictionBatch:
        batch = PredictionBatch()
        bar_time = pd.Timestamp(self._calendar.last_completed_session(now), tz="UTC")
        for symbol in symbols:
            prediction = self._predictions.get((bar_time, symbol))
            if prediction is not None:
                batch.predictions.append(prediction)
                batch.atr[symbol] = self._atr.get((bar_time, symbol), float("nan"))
        return batch
