"""Walk-forward splits over sessions, with purge and embargo.

Folds are cut on the calendar (all symbols share the cut), never on rows, so no test
day leaks into training through another symbol. A label at t looks `horizon` sessions
ahead, so training rows whose label window reaches into the test block are purged; an
extra `embargo` of at least `MIN_EMBARGO` sessions separates them further (serial
correlation in features). Test blocks are calendar years by default (`yearly_folds`),
or blocks of a fixed number of sessions. The same splitter serves `train` (its
calibration hold-out), `evaluate` and backtests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_EMBARGO = 5
"""Sessions between the last training label's window and the first test day, at least."""


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


def _check_embargo(embargo: int) -> None:
    if embargo < MIN_EMBARGO:
        raise SplitError(f"an embargo of {embargo} sessions is below the minimum {MIN_EMBARGO}")


def _sessions(timestamps: pd.DatetimeIndex) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(timestamps.unique()).sort_values()


def _fold(
    number: int,
    days: pd.DatetimeIndex,
    start: int,
    end: int,
    gap: int,
    min_train: int,
    expanding: bool,
) -> Fold:
    train_end = start - gap - 1
    train_start = 0 if expanding else max(0, train_end - min_train + 1)
    return Fold(number, days[train_start], days[train_end], days[start], days[end])


def _newest(folds: list[Fold], max_folds: int | None) -> list[Fold]:
    if max_folds is None:
        return folds
    return [
        Fold(i + 1, f.train_start, f.train_end, f.test_start, f.test_end)
        for i, f in enumerate(folds[-max_folds:])
    ]


def walk_forward(
    sessions: pd.DatetimeIndex,
    *,
    test_size: int = 126,
    min_train: int = 504,
    horizon: int = 1,
    embargo: int = MIN_EMBARGO,
    expanding: bool = True,
    max_folds: int | None = None,
) -> list[Fold]:
    """Consecutive test blocks of `test_size` sessions after at least `min_train`
    sessions of training; the last `max_folds` blocks when given."""
    _check_embargo(embargo)
    days = _sessions(sessions)
    gap = horizon + embargo
    first_test = min_train + gap
    if len(days) < first_test + test_size:
        raise SplitError(
            f"{len(days)} sessions are too few: walk-forward needs {min_train} to train, "
            f"{gap} of purge and embargo and {test_size} to test"
        )
    folds: list[Fold] = []
    start = first_test
    while start + test_size <= len(days):
        folds.append(
            _fold(len(folds) + 1, days, start, start + test_size - 1, gap, min_train, expanding)
        )
        start += test_size
    return _newest(folds, max_folds)


def yearly_folds(
    sessions: pd.DatetimeIndex,
    *,
    min_train: int = 504,
    horizon: int = 1,
    embargo: int = MIN_EMBARGO,
    expanding: bool = True,
    max_folds: int | None = None,
) -> list[Fold]:
    """One test block per calendar year, from the first year that has `min_train`
    sessions of training before it (after purge and embargo) to the last, which may be
    partial; the newest `max_folds` when given."""
    _check_embargo(embargo)
    days = _sessions(sessions)
    gap = horizon + embargo
    folds: list[Fold] = []
    for year in sorted(set(days.year)):
        in_year = np.flatnonzero(days.year == year)
        start, end = int(in_year[0]), int(in_year[-1])
        if start - gap < min_train:
            continue
        folds.append(_fold(len(folds) + 1, days, start, end, gap, min_train, expanding))
    if not folds:
        raise SplitError(
            f"{len(days)} sessions are too few: yearly walk-forward needs {min_train} to "
            f"train and {gap} of purge and embargo before a calendar year starts"
        )
    return _newest(folds, max_folds)


def holdout(
    sessions: pd.DatetimeIndex,
    *,
    fraction: float = 0.2,
    horizon: int = 1,
    embargo: int = MIN_EMBARGO,
) -> Fold:
    """One split of a training period: the last `fraction` of sessions for calibration,
    purged by the label horizon and embargoed from the first part."""
    _check_embargo(embargo)
    days = _sessions(sessions)
    gap = horizon + embargo
    size = max(1, int(len(days) * fraction))
    test_start = len(days) - size
    train_end = test_start - gap - 1
    if train_end < 1:
        raise SplitError(f"{len(days)} sessions are too few for a calibration hold-out")
    return Fold(0, days[0], days[train_end], days[test_start], days[-1])
