"""The evaluation finds a signal that is there and none that is not (generated data)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ml.controls import positive_control, random_walk_control, shuffled_control
from ml.dataset import build_samples
from ml.targets import PlanTarget
from tests.unit.ml.conftest import simulated_bars

START = datetime(2016, 1, 1, tzinfo=UTC)
END = datetime(2023, 12, 29, tzinfo=UTC)


@pytest.fixture(scope="module")
def universe():
    bars = simulated_bars([f"S{i}" for i in range(6)] + ["SPY"], years=8, seed=7)
    return bars, bars.pop("SPY")


def test_the_positive_control_is_found(universe) -> None:
    bars, spy = universe
    result = positive_control(bars, context=spy, lookback=20)
    assert result.passed, result.auc
    assert result.auc.estimate >= 0.55
    assert result.auc.low > 0.5


def test_shuffled_labels_stay_within_chance(universe) -> None:
    bars, spy = universe
    samples = build_samples(bars, lookback=20, target=PlanTarget(), context=spy)
    result = shuffled_control(samples)
    assert result.passed, result.auc
    assert result.auc.low <= 0.5 <= result.auc.high
    assert result.grade is not None
    assert not result.grade.proven


def test_a_random_walk_stays_within_chance() -> None:
    result = random_walk_control(6, START, END, target=PlanTarget(), lookback=20)
    assert result.passed, result.auc
    assert result.grade is not None
    assert not result.grade.proven
    assert result.to_dict()["grade"]["proven"] is False
