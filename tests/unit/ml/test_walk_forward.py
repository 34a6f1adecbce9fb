"""The walk-forward record: purged yearly folds, every model's and baseline's view of
the same out-of-sample trades."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.dataset import build_samples
from ml.report import build_report
from ml.targets import PlanTarget
from ml.walk_forward import (
    ALL_TRADES,
    BASE_RATE,
    ENSEMBLE,
    MOMENTUM_RULE,
    RANDOM_ENTRIES,
    TREND_FILTER,
    baseline_selections,
    date_matched_random,
    walk_forward_run,
)
from tests.unit.ml.conftest import simulated_bars


@pytest.fixture(scope="module")
def samples():
    bars = simulated_bars(["AAA", "BBB", "CCC", "SPY"], years=6, predictability=0.8)
    spy = bars.pop("SPY")
    return build_samples(bars, lookback=20, target=PlanTarget(), context=spy)


@pytest.fixture(scope="module")
def record(samples):
    return walk_forward_run(samples, ["gbm", "momentum"])


def test_folds_are_years_and_no_training_label_reaches_a_test_year(record, samples) -> None:
    sessions = pd.DatetimeIndex(samples.labelled().timestamps.unique())
    # Samples start in 2018 (after the warm-up); two years of training first.
    assert [f.test_start.year for f in record.folds] == [2021, 2022, 2023]
    for fold in record.folds:
        gap = sessions.get_loc(fold.test_start) - sessions.get_loc(fold.train_end) - 1
        assert gap == samples.horizon + 5  # purge 20 sessions, embargo 5
    assert record.index["fold"].is_monotonic_increasing
    assert len(record.index) == sum(
        fold.masks(samples.labelled().timestamps)[1].sum() for fold in record.folds
    )


def test_every_model_and_baseline_sees_the_same_trades(record) -> None:
    n = len(record.index)
    assert set(record.probabilities) == {
        "gbm",
        "momentum",
        ENSEMBLE,
        BASE_RATE,
        "momentum_baseline",
    }
    assert {len(p) for p in record.probabilities.values()} == {n}
    assert {len(s) for s in record.selections.values()} == {n}
    assert record.selections[ALL_TRADES].all()
    assert record.expected_r is not None
    assert np.isfinite(record.expected_r).all()
    # Models select against their own fold's bar: the training base rate + 0.05.
    for rule in record.fold_rules:
        assert rule["selection_threshold"] == pytest.approx(rule["train_base_rate"] + 0.05)


def test_date_matched_random_entries_keep_each_day_count() -> None:
    stamps = pd.DatetimeIndex(
        ["2020-01-02"] * 4 + ["2020-01-03"] * 3 + ["2020-01-06"] * 2, tz="UTC"
    )
    chosen = np.array([1, 1, 0, 0, 1, 0, 0, 0, 0], dtype=bool)
    rng = np.random.default_rng(0)
    draws = [date_matched_random(stamps, chosen, rng) for _ in range(200)]
    for draw in draws:
        assert draw[:4].sum() == 2
        assert draw[4:7].sum() == 1
        assert draw[7:].sum() == 0
    assert np.mean([d[2] for d in draws]) == pytest.approx(0.5, abs=0.1)  # any row that day


def test_baselines_are_rules_on_the_features(samples) -> None:
    chosen = baseline_selections(samples)
    stock_up = samples.column("close_sma_200") > 0
    market_up = samples.index["market_trend"].to_numpy() > 0
    np.testing.assert_array_equal(chosen[TREND_FILTER], stock_up & market_up)
    assert 0 < chosen[MOMENTUM_RULE].mean() < 1


def test_the_report_has_intervals_grades_and_groups(record) -> None:
    report = build_report(record, bootstrap_samples=200, random_draws=20)
    assert set(report.grades) == {"gbm", "momentum", ENSEMBLE}
    auc = report.intervals[ENSEMBLE]["auc"]
    assert auc.low <= auc.estimate <= auc.high
    assert set(report.trades) == {
        "gbm",
        "momentum",
        ENSEMBLE,
        ALL_TRADES,
        RANDOM_ENTRIES,
        MOMENTUM_RULE,
        TREND_FILTER,
    }
    assert report.trades[ALL_TRADES]["trades"] == len(record.index)
    assert report.random_draws["draws"] == 20
    assert set(report.by_year["probability"]) == {"2021", "2022", "2023"}
    assert set(report.by_symbol["trades"][ENSEMBLE]) == {"AAA", "BBB", "CCC"}
    stored = report.to_json()
    assert stored["metrics"]["always_up"] == stored["metrics"][BASE_RATE]
    assert len(stored["r_by_decile"][ENSEMBLE]) == 10
