"""The quarter-block bootstrap against plain computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from ml.bootstrap import QuarterBootstrap, mean_interval, quarter_codes

DAYS = pd.DatetimeIndex(np.repeat(pd.bdate_range("2018-01-01", "2021-12-31", tz="UTC"), 3))


def test_quarters_are_the_blocks() -> None:
    codes = quarter_codes(pd.DatetimeIndex(["2020-03-31", "2020-04-01", "2021-01-05"], tz="UTC"))
    assert codes.tolist() == [0, 1, 2]
    assert QuarterBootstrap(DAYS, samples=10).n_blocks == 16


def test_with_every_quarter_once_the_statistics_are_the_plain_ones() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random(len(DAYS)) < 0.5).astype(float)
    scores = np.round(rng.random(len(DAYS)), 2)  # many ties
    bootstrap = QuarterBootstrap(DAYS, samples=4)
    bootstrap.counts = np.ones_like(bootstrap.counts)
    assert bootstrap.auc(y, scores) == pytest.approx(np.full(4, roc_auc_score(y, scores)))
    mask = scores > 0.3
    assert bootstrap.mean(scores, mask) == pytest.approx(np.full(4, scores[mask].mean()))


def test_weights_count_repeated_quarters() -> None:
    y = np.array([1.0, 0.0, 1.0, 0.0])
    scores = np.array([0.9, 0.1, 0.2, 0.8])
    stamps = pd.DatetimeIndex(["2020-01-02", "2020-01-03", "2020-04-02", "2020-04-03"], tz="UTC")
    bootstrap = QuarterBootstrap(stamps, samples=1)
    bootstrap.counts = np.array([[2.0, 0.0]])  # the first quarter twice, the second never
    assert bootstrap.auc(y, scores)[0] == pytest.approx(1.0)
    assert bootstrap.mean(scores)[0] == pytest.approx(0.5)


def test_intervals_separate_an_effect_from_none() -> None:
    rng = np.random.default_rng(1)
    bootstrap = QuarterBootstrap(DAYS)
    noise = rng.normal(0, 1, len(DAYS))
    assert mean_interval(bootstrap, noise).low < 0 < mean_interval(bootstrap, noise).high
    effect = mean_interval(bootstrap, noise + 0.3)
    assert effect.low > 0
    assert effect.low < effect.estimate < effect.high
