"""Walk-forward splits over sessions, with purge and embargo.

Folds are cut on the calendar (all symbols share the cut), never on rows, so no test
day leaks into training through another symbol. A label at t looks `horizon` sessions
ahead, so training rows whose label window reaches into the test block are purged; an
extra `embargo` of sessions separates them further (serial correlation in features).
The same splitter serves `train` (its calibration hold-out), `evaluate` and backtests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Fold:
    number: int
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    test_start: pd.Timestamp
    test_end: pd.Timestamp

    def masks(self, timestamps: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
        train = (timestamps >= self.train_start) & (timestamps <= self.train_end)
        test = (timestamps >= self.test_start) & (timestamps <= self.test_end)
        return np.asarray(train), np.asarray(test)

    def as_dict(self) -> dict[str, str | int]:
        return {
            "fold": self.number,
            "train_start": self.train_start.date().isoformat(),
            "train_end": self.train_end.date().isoformat(),
            "test_start": self.test_start.date().isoformat(),
            "test_end": self.test_end.date().isoformat(),
        }


class SplitError(ValueError):
    """The history is too short for the requested folds; the message says how short."""


def walk_forward(
    sessions: pd.DatetimeIndex,
    *,
    test_size: int = 126,
    min_train: int = 504,
    horizon: int = 1,
    embargo: int = 5,
    expanding: bool = True,
    max_folds: int | None = None,
) -> list[Fold]:
    """Consecutive test blocks of `test_size` sessions after at least `min_train`
    sessions of training; the last `max_folds` blocks when given."""
    days = pd.DatetimeIndex(sessions.unique()).sort_values()
    gap = horizon + embargo
    first_test = min_train + gap
    if len(days) < first_test + test_size:
        raise SplitError(
            f"{len(days)} sessions are too few: walk-forward needs {min_train} to train, "
            f"{gap} of purge and embargo and {test_size} to test"
        )
    folds = []
    start = first_test
    while start + test_size <= len(days):
        train_end = start - gap - 1
        train_start = 0 if expanding else max(0, train_end - min_train + 1)
        folds.append(
            Fold(
                number=len(folds) + 1,
                train_start=days[train_start],
                train_end=days[train_end],
                test_start=days[start],
                test_end=days[start + test_size - 1],
            )
        )
        start += test_size
    if max_folds is not None:
        folds = folds[-max_folds:]
        folds = [
            Fold(i + 1, f.train_start, f.train_end, f.test_start, f.test_end)
            for i, f in enumerate(folds)
        ]
    return folds


def holdout(
    sessions: pd.DatetimeIndex, *, fraction: float = 0.2, horizon: int = 1, embargo: int = 5
) -> Fold:
    """One split of a training period: the last `fraction` of sessions for calibration,
    purged and embargoed from the first part."""
    days = pd.DatetimeIndex(sessions.unique()).sort_values()
    gap = horizon + embargo
    size = max(1, int(len(days) * fraction))
    test_start = len(days) - size
    train_end = test_start - gap - 1
    if train_end < 1:
        raise SplitError(f"{len(days)} sessions are too few for a calibration hold-out")
    return Fold(0, days[0], days[train_end], days[test_start], days[-1])
