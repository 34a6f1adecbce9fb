"""Walk-forward retraining inside a backtest, separated from the replay.

Every `retrain_every` sessions a fresh ensemble is fit on the rolling window before the
session (labels known by then) and predicts the window ahead in one batch. Features are
causal, so predicting a window at once equals predicting bar by bar (the lookahead test
checks it); predictions do not depend on the portfolio, so the windows are pure tasks
(`windows`) that the runner (`ml.parallel`: local processes, or a Dask cluster when
STOCKBOT_DASK_SCHEDULER is set) fits while the replay runs. The replay asks for them in
order at each retraining; each arrives with the dates it was planned for, and a
mismatch stops the run rather than serve a model that saw its test period.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

import numpy as np
import pandas as pd
import talib

from core.agent.predictor import PrecomputedPredictor, PredictionBatch
from core.base.settings import Settings
from core.drivers.backtest.config import BacktestConfig
from core.drivers.backtest.windows import (
    Window,
    WindowForecast,
    fit_window,
    pack_window,
    plan_windows,
)
from ml.dataset import Samples
from ml.labels import PlanRules
from ml.parallel import Runner, TaskStream, runner_for
from ml.sample_build import build_samples_with
from ml.targets import PlanTarget


class WindowOrderError(RuntimeError):
    """The replay asked for a retraining the plan does not have (a bug): stop the run."""


class WalkForwardPredictor:
    """Serves each window's predictions, taken from the runner in window order."""

    def __init__(
        self,
        samples: Samples,
        atr: Mapping[tuple[pd.Timestamp, str], float],
        config: BacktestConfig,
        explain_edge: float | None,
        sessions: Sequence[date],
        runner: Runner | None = None,
    ) -> None:
        self.samples = samples
        self.config = config
        self.served = PrecomputedPredictor({}, {})
        self._atr = atr
        self.windows: list[Window] = plan_windows(samples, sessions, config, explain_edge)
        self.runner = runner or runner_for()
        self.retrainings = 0
        # Starts fitting now: local workers and a cluster run ahead of the replay.
        self._forecasts: TaskStream[WindowForecast] = self.runner.map(
            fit_window, self.windows, samples, pack=pack_window
        )

    def retrain(self, day: pd.Timestamp, until: pd.Timestamp) -> None:
        """Serve the next window's predictions; it must be the one planned for `day`."""
        try:
            forecast = next(self._forecasts)
        except StopIteration:
            raise WindowOrderError(f"no window planned for {day:%Y-%m-%d}") from None
        if (forecast.day, forecast.until) != (day, until):
            self.close()
            raise WindowOrderError(
                f"window {forecast.number} starts {forecast.day:%Y-%m-%d} and ends before "
                f"{forecast.until:%Y-%m-%d}; the replay asked for {day:%Y-%m-%d}..{until:%Y-%m-%d}"
            )
        keys = [
            (stamp, prediction.symbol)
            for stamp, prediction in zip(forecast.stamps, forecast.predictions, strict=True)
        ]
        # The replay only moves forward: from here on it asks for this window's sessions
        # alone, so only they are kept (all of a 100-symbol, 10-year run's predictions
        # with their reasons took over a GB).
        self.served = PrecomputedPredictor(
            dict(zip(keys, forecast.predictions, strict=True)),
            {key: self._atr[key] for key in keys if key in self._atr},
        )
        self.retrainings += 1
        if self.retrainings == len(self.windows):
            self.close()  # the last window: the workers or the cluster are free again

    def predict(
        self, symbols: Sequence[str], now: datetime, explain_edge: float | None
    ) -> PredictionBatch:
        return self.served.predict(symbols, now, explain_edge)

    def close(self) -> None:
        """Stop outstanding fits (a replay that ended early) and let the cluster go."""
        self._forecasts.close()


def walk_forward_predictor(
    settings: Settings,
    history: Mapping[str, pd.DataFrame],
    config: BacktestConfig,
    sessions: Sequence[date],
    explain_edge: float | None,
) -> WalkForwardPredictor:
    """The backtest's predictor: the owner's plan as the target (what live models are
    trained on), samples built and windows fitted by the runner the settings choose."""
    runner = runner_for(settings)
    samples = build_samples_with(
        runner,
        history,
        lookback=settings.trading.ml.lookback,
        target=PlanTarget(PlanRules.from_config(settings.trading)),
    )
    return WalkForwardPredictor(samples, atr_table(history), config, explain_edge, sessions, runner)


def atr_table(history: Mapping[str, pd.DataFrame]) -> dict[tuple[pd.Timestamp, str], float]:
    """ATR(14) per (bar time, symbol), for stop placement at each decision."""
    table: dict[tuple[pd.Timestamp, str], float] = {}
    for symbol, frame in history.items():
        values = talib.ATR(
            frame["high"].to_numpy(float),
            frame["low"].to_numpy(float),
            frame["close"].to_numpy(float),
            14,
        )
        finite = np.isfinite(values)
        keys = [(stamp, symbol) for stamp in frame.index[finite]]
        table.update(zip(keys, values[finite].tolist(), strict=True))
    return table
