"""Walk-forward retraining inside a backtest: every `retrain_every` sessions the
ensemble is refit on the rolling window before the session (labels known by then) and
predicts the window ahead in one batch. Features are causal, so predicting a window at
once equals predicting bar by bar (the lookahead test checks it)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
import pandas as pd
import talib

from core.agent.predictor import PrecomputedPredictor, PredictionBatch
from core.drivers.backtest.config import BacktestConfig
from ml.dataset import Samples
from ml.ensemble import Ensemble
from ml.models import create_models


class WalkForwardPredictor:
    """Retrains every `retrain_every` sessions on the rolling window before the session
    and predicts the window ahead in one batch."""

    def __init__(
        self,
        samples: Samples,
        atr: Mapping[tuple[pd.Timestamp, str], float],
        config: BacktestConfig,
        explain_from: float,
    ) -> None:
        self.samples = samples
        self.config = config
        self.explain_from = explain_from
        self.served = PrecomputedPredictor({}, atr)
        self._atr = atr
        self.retrainings = 0

    def retrain(self, day: pd.Timestamp, until: pd.Timestamp) -> None:
        stamps = self.samples.timestamps
        days = pd.DatetimeIndex(stamps.unique()).sort_values()
        position = int(days.searchsorted(day))
        # Labels look `horizon` sessions ahead: the newest usable row is that far back.
        last_labelled = days[max(position - self.samples.horizon, 0)]
        window_start = day - pd.Timedelta(days=int(365.25 * self.config.train_years))
        mask = (
            (stamps >= window_start)
            & (stamps < last_labelled)
            & self.samples.index["label"].notna().to_numpy()
        )
        train = self.samples.subset(mask)
        if len(train) > self.config.max_train_samples:
            train = train.subset(
                np.arange(len(train)) >= len(train) - self.config.max_train_samples
            )
        ensemble = Ensemble(create_models(self.config.models, seed=self.config.seed))
        ensemble.fit(train)
        ahead = self.samples.subset((stamps >= day) & (stamps < until))
        predictions = ensemble.predictions(
            ahead, model_run_id=f"bt-{day:%Y%m%d}", explain_from=self.explain_from
        )
        for prediction, stamp in zip(predictions, ahead.timestamps, strict=True):
            self.served.add(stamp, prediction)
        self.retrainings += 1

    def predict(
        self, symbols: Sequence[str], now: datetime, explain_from: float
    ) -> PredictionBatch:
        return self.served.predict(symbols, now, explain_from)


def atr_table(history: Mapping[str, pd.DataFrame]) -> dict[tuple[pd.Timestamp, str], float]:
    table = {}
    for symbol, frame in history.items():
        values = talib.ATR(
            frame["high"].to_numpy(float),
            frame["low"].to_numpy(float),
            frame["close"].to_numpy(float),
            14,
        )
        for stamp, value in zip(frame.index, values, strict=True):
            if math.isfinite(value):
                table[(stamp, symbol)] = float(value)
    return table
