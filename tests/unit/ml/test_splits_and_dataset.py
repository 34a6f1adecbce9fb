from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from ml.dataset import build_samples, direction_labels
from ml.splits import SplitError, holdout, walk_forward

DAYS = pd.bdate_range("2015-01-01", periods=1500, tz="UTC")


@pytest.mark.parametrize("horizon", [1, 5])
@pytest.mark.parametrize("expanding", [True, False])
def test_folds_never_overlap_their_purge_and_embargo(horizon: int, expanding: bool) -> None:
    embargo = 5
    folds = walk_forward(
        DAYS, test_size=100, min_train=400, horizon=horizon, embargo=embargo, expanding=expanding
    )
    assert len(folds) == (1500 - 400 - horizon - embargo) // 100
    position = {day: i for i, day in enumerate(DAYS)}
    for previous, fold in pairwise(folds):
        assert position[fold.test_start] == position[previous.test_end] + 1
    for fold in folds:
        gap = position[fold.test_start] - position[fold.train_end] - 1
        assert gap == horizon + embargo
        # No training label (t → t + horizon) reaches into the test block.
        assert position[fold.train_end] + horizon < position[fold.test_start]
        if not expanding:
            assert position[fold.train_end] - position[fold.train_start] + 1 == 400


def test_masks_select_by_date_across_symbols() -> None:
    fold = walk_forward(DAYS, test_size=100, min_train=400)[0]
    stamps = pd.DatetimeIndex(list(DAYS) * 2)  # two symbols
    train, test = fold.masks(stamps)
    assert train.sum() == 2 * 400
    assert test.sum() == 2 * 100
    assert not (train & test).any()


def test_too_short_history_is_explained() -> None:
    with pytest.raises(SplitError, match="300 sessions are too few"):
        walk_forward(DAYS[:300], test_size=100, min_train=400)


def test_holdout_is_purged() -> None:
    split = holdout(DAYS[:1000], fraction=0.2, horizon=1, embargo=5)
    assert split.test_start == DAYS[800]
    assert split.train_end == DAYS[793]


def test_labels_and_dead_zone() -> None:
    close = pd.Series([10.0, 11.0, 10.0, 10.05, 10.05, 9.0])
    assert direction_labels(close).tolist()[:5] == [1.0, 0.0, 1.0, 0.0, 0.0]
    assert np.isnan(direction_labels(close).iloc[-1])
    dz = direction_labels(close, dead_zone=0.01)
    assert np.isnan(dz.iloc[2])  # +0.5% is inside the 1% dead zone
    assert direction_labels(close, horizon=2).tolist()[:4] == [0.0, 0.0, 1.0, 0.0]


def test_samples_shapes_and_alignment(small_universe) -> None:
    samples = build_samples(small_universe, lookback=20)
    assert samples.timestamps.is_monotonic_increasing
    tab = samples.tabular()
    seq = samples.sequences()
    assert seq.shape == (len(samples), 20, tab.shape[1])
    np.testing.assert_array_equal(seq[:, -1, :], tab)  # a sequence ends at its own bar
    last = samples.index.groupby("symbol").tail(1)
    assert last["label"].isna().all()  # tomorrow is unknown
