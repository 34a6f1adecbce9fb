from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from ml.dataset import SampleError, build_samples
from ml.splits import MIN_EMBARGO, SplitError, holdout, walk_forward, yearly_folds
from ml.targets import PlanTarget
from tests.unit.ml.conftest import simulated_bars

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


def test_samples_shapes_and_alignment(small_universe) -> None:
    samples = build_samples(small_universe, lookback=20)
    assert samples.timestamps.is_monotonic_increasing
    tab = samples.tabular()
    seq = samples.sequences()
    assert seq.shape == (len(samples), 20, tab.shape[1])
    np.testing.assert_array_equal(seq[:, -1, :], tab)  # a sequence ends at its own bar
    last = samples.index.groupby("symbol").tail(1)
    assert last["label"].isna().all()  # tomorrow is unknown


def test_yearly_folds_are_calendar_years_with_purge_and_embargo() -> None:
    days = pd.bdate_range("2010-01-01", "2015-06-30", tz="UTC")
    folds = yearly_folds(days, min_train=480, horizon=20, embargo=5)
    # 2010 and 2011 are 522 sessions: 480 of training and 25 of purge and embargo fit.
    assert [f.test_start.year for f in folds] == [2012, 2013, 2014, 2015]
    position = {day: i for i, day in enumerate(days)}
    for fold in folds:
        assert fold.test_start == days[days.year == fold.test_start.year][0]
        assert fold.test_end == days[days.year == fold.test_start.year][-1]
        assert position[fold.test_start] - position[fold.train_end] - 1 == 20 + 5
        assert fold.train_start == days[0]
    assert folds[-1].test_end == days[-1]  # the last, partial year is tested too
    assert yearly_folds(days, min_train=504, horizon=20)[0].test_start.year == 2013
    newest = yearly_folds(days, min_train=480, horizon=20, max_folds=2)
    assert [(f.number, f.test_start.year) for f in newest] == [(1, 2014), (2, 2015)]
    with pytest.raises(SplitError, match="too few"):
        yearly_folds(days[:400], min_train=504)


def test_embargo_below_the_minimum_is_refused() -> None:
    for split in (walk_forward, yearly_folds, holdout):
        with pytest.raises(SplitError, match=f"below the minimum {MIN_EMBARGO}"):
            split(DAYS, embargo=MIN_EMBARGO - 1)


def test_index_units_and_zones_are_normalised(small_universe) -> None:
    """Frames that bypass the provider normaliser (seconds, a local zone, naive dates)
    get the same timestamps, not 1970."""
    bars = small_universe["AAA"]
    reference = build_samples({"AAA": bars}, lookback=20)
    seconds = bars.set_axis(bars.index.as_unit("s"), axis=0)
    local = bars.set_axis(bars.index.tz_convert("America/New_York"), axis=0)
    naive = bars.set_axis(bars.index.tz_localize(None).as_unit("us"), axis=0)
    for frame in (seconds, local, naive):
        other = build_samples({"AAA": frame}, lookback=20)
        pd.testing.assert_index_equal(other.timestamps, reference.timestamps)
        assert other.timestamps[0].year > 2000
        np.testing.assert_array_equal(other.tabular(), reference.tabular())
    with pytest.raises(SampleError, match="AAA: bars need a DatetimeIndex"):
        build_samples({"AAA": bars.reset_index(drop=True)})


def test_labels_and_features_at_every_cut_point_equal_the_truncated_history() -> None:
    """The leak test: at many cut points, samples built from history up to the cut
    equal the full-history samples up to the cut — features exactly, and the plan's
    labels wherever its outcome is known by the cut (and unknown everywhere else)."""
    bars = simulated_bars(["AAA", "BBB", "SPY"], years=3, predictability=0.8, seed=5)
    spy = bars.pop("SPY")
    target = PlanTarget()
    full = build_samples(bars, lookback=20, target=target, context=spy)
    sessions = pd.DatetimeIndex(full.timestamps.unique())
    rng = np.random.default_rng(2)
    for cut in rng.choice(sessions[:-1], size=12, replace=False):
        truncated = {s: f.loc[:cut] for s, f in bars.items()}
        partial = build_samples(truncated, lookback=20, target=target, context=spy.loc[:cut])
        before = full.subset(full.timestamps <= cut)
        pd.testing.assert_frame_equal(
            partial.index[["symbol", "timestamp"]], before.index[["symbol", "timestamp"]]
        )
        np.testing.assert_allclose(partial.tabular(), before.tabular(), rtol=0, atol=1e-6)
        # Known by the cut: the whole holding window (horizon sessions) has closed.
        days_left = sessions[sessions <= cut]
        known = (
            partial.timestamps <= days_left[-1 - target.horizon]
            if len(days_left) > target.horizon
            else np.zeros(len(partial), bool)
        )
        assert np.isnan(partial.labels[~known]).all()
        np.testing.assert_array_equal(partial.labels[known], before.labels[known])
        np.testing.assert_allclose(partial.r[known], before.r[known], rtol=0, atol=1e-12)
