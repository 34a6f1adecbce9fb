"""A backtest's retraining windows as pure tasks.

Predictions do not depend on the portfolio, so every window can be fitted before or
while the replay runs: window k trains on the samples labelled strictly before its first
session (purged by the target's horizon, a rolling `train_years` window, the newest
`max_train_samples`) and predicts its `retrain_every` sessions. `plan_windows` lists
them from the sessions alone; `fit_window` is the task — rows and a seed in, predictions
out — so it gives the same predictions in this process, in a local worker or on a Dask
worker, and the replay consumes them in window order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date

import numpy as np
import pandas as pd

from core.base.types import ModelPrediction
from core.drivers.backtest.config import BacktestConfig
from ml.dataset import Samples
from ml.ensemble import Ensemble
from ml.models import create_models
from ml.packing import pack, take


@dataclass(frozen=True)
class Window:
    """One retraining: fit on `train`, predict `ahead` (row numbers into the samples)."""

    number: int
    day: pd.Timestamp
    """The first session it predicts (the replay retrains at this session's close)."""
    until: pd.Timestamp
    """Predictions stop before this time."""
    train: np.ndarray
    ahead: np.ndarray
    models: tuple[str, ...]
    seed: int
    explain_edge: float | None


@dataclass(frozen=True)
class WindowForecast:
    """What a window task sends back: its predictions, one per row of `ahead`."""

    number: int
    day: pd.Timestamp
    until: pd.Timestamp
    stamps: list[pd.Timestamp]
    predictions: list[ModelPrediction]


def window_bounds(sessions: Sequence[date], retrain_every: int) -> list[tuple[int, date, date]]:
    """(session number, first session, session that bounds it) of every retraining, as the
    replay walks the sessions: every `retrain_every` sessions from the first."""
    last = len(sessions) - 1
    return [
        (number, sessions[number], sessions[min(number + retrain_every, last)])
        for number in range(0, len(sessions), retrain_every)
    ]


def stamp(day: date) -> pd.Timestamp:
    return pd.Timestamp(day, tz=UTC)


def until_stamp(bound: date) -> pd.Timestamp:
    # The bounding session is predicted too when it is the run's last (one day later).
    return stamp(bound) + pd.Timedelta(days=1)


def plan_windows(
    samples: Samples, sessions: Sequence[date], config: BacktestConfig, explain_edge: float | None
) -> list[Window]:
    stamps = samples.timestamps
    values = stamps.asi8
    days = pd.DatetimeIndex(stamps.unique()).sort_values()
    labelled = samples.index["label"].notna().to_numpy()
    windows = []
    for number, first, bound in window_bounds(sessions, config.retrain_every):
        day, until = stamp(first), until_stamp(bound)
        position = int(days.searchsorted(day))
        # Labels look `horizon` sessions ahead: the newest usable row is that far back.
        last_labelled = days[max(position - samples.horizon, 0)]
        window_start = day - pd.Timedelta(days=int(365.25 * config.train_years))
        train = np.flatnonzero(
            (values >= window_start.value) & (values < last_labelled.value) & labelled
        )
        if len(train) > config.max_train_samples:
            train = train[len(train) - config.max_train_samples :]
        ahead = np.flatnonzero((values >= day.value) & (values < until.value))
        windows.append(
            Window(
                number=number,
                day=day,
                until=until,
                train=train,
                ahead=ahead,
                models=tuple(config.models),
                seed=config.seed,
                explain_edge=explain_edge,
            )
        )
    return windows


def fit_window(samples: Samples, window: Window) -> WindowForecast:
    """Fit a fresh ensemble on the window's training rows; predict the rows ahead."""
    ensemble = Ensemble(create_models(window.models, seed=window.seed))
    ensemble.fit(take(samples, window.train))
    ahead = take(samples, window.ahead)
    predictions = ensemble.predictions(
        ahead, model_run_id=f"bt-{window.day:%Y%m%d}", explain_edge=window.explain_edge
    )
    return WindowForecast(
        window.number, window.day, window.until, list(ahead.timestamps), predictions
    )


def pack_window(samples: Samples, window: Window) -> tuple[Samples, Window]:
    """The window's rows only, for a local worker process (see `ml.packing`)."""
    packed, (train, ahead) = pack(samples, window.train, window.ahead)
    return packed, replace(window, train=train, ahead=ahead)
