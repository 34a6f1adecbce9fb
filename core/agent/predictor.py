"""Predictors: what turns market data into `ModelPrediction`s for a cycle.

`LivePredictor` fetches bars with the features' warm-up, validates them, computes
features and asks the current ensemble. `PrecomputedPredictor` serves predictions made
in advance over a history (backtests) — the features are causal, so predicting every
bar at once equals predicting bar by bar (the lookahead test checks exactly that).
Both return the same `PredictionBatch`, so the rest of the cycle is one code path.
"""

from __future__ import annotations

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
from core.data.provider import MarketDataError, MarketDataProvider
from core.data.validation import DataProblem, validate_bars
from ml.dataset import build_samples
from ml.features import WARMUP_BARS, FeatureError

ATR_PERIOD = 14


@dataclass
class PredictionBatch:
    predictions: list[ModelPrediction] = field(default_factory=list)
    problems: list[DataProblem] = field(default_factory=list)
    atr: dict[str, float] = field(default_factory=dict)
    """ATR(14) at the predicted bar, for stop placement."""


class Predictor(Protocol):
    def predict(
        self, symbols: Sequence[str], now: datetime, explain_from: float
    ) -> PredictionBatch: ...


def last_atr(bars: pd.DataFrame, period: int = ATR_PERIOD) -> float:
    values = talib.ATR(
        bars["high"].to_numpy(float),
        bars["low"].to_numpy(float),
        bars["close"].to_numpy(float),
        period,
    )
    return float(values[-1]) if len(values) and np.isfinite(values[-1]) else float("nan")


class LivePredictor:
    def __init__(
        self,
        *,
        data: MarketDataProvider,
        calendar: ExchangeCalendar,
        models: ModelHolder,
        lookback: int,
        horizon: int,
    ) -> None:
        self._data = data
        self._calendar = calendar
        self._models = models
        self._lookback = lookback
        self._horizon = horizon

    def history_start(self, now: datetime) -> datetime:
        # Sessions needed, with room for weekends and holidays (≈ 252 per 365 days).
        sessions = WARMUP_BARS + self._lookback + 40
        return now - timedelta(days=int(sessions * 365 / 252) + 10)

    def predict(
        self, symbols: Sequence[str], now: datetime, explain_from: float
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
        usable: dict[str, pd.DataFrame] = {}
        for symbol in symbols:
            result = validate_bars(
                symbol, bars.get(symbol, pd.DataFrame()), calendar=self._calendar, now=now
            )
            batch.problems.extend(result.problems)
            if result.blocking:
                continue
            if len(result.bars) <= WARMUP_BARS + self._lookback:
                batch.problems.append(
                    DataProblem(
                        symbol,
                        None,
                        "too_short",
                        f"{len(result.bars)} bars; need more than {WARMUP_BARS + self._lookback}",
                        True,
                    )
                )
                continue
            usable[symbol] = result.bars
            batch.atr[symbol] = last_atr(result.bars)
        if not usable:
            return batch
        try:
            samples = build_samples(usable, lookback=self._lookback, horizon=self._horizon)
        except FeatureError as error:
            batch.problems.append(DataProblem("*", None, "features", str(error), True))
            return batch
        batch.predictions = ensemble.predictions(
            samples.latest(), model_run_id=run_id, explain_from=explain_from
        )
        return batch


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
        self, symbols: Sequence[str], now: datetime, explain_from: float
    ) -> PredictionBatch:
        batch = PredictionBatch()
        bar_time = pd.Timestamp(self._calendar.last_completed_session(now), tz="UTC")
        for symbol in symbols:
            prediction = self._predictions.get((bar_time, symbol))
            if prediction is not None:
                batch.predictions.append(prediction)
                batch.atr[symbol] = self._atr.get((bar_time, symbol), float("nan"))
        return batch
