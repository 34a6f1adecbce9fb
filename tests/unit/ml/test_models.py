from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ml.calibration import IsotonicCalibrator, PlattCalibrator
from ml.dataset import build_samples
from ml.evaluation import expected_calibration_error
from ml.models import create_models, load_model
from ml.models.base import ModelError
from ml.models.lstm import LstmModel


@pytest.fixture(scope="module")
def samples(small_universe):
    return build_samples(small_universe, lookback=20)


def tiny_lstm(seed: int = 3) -> LstmModel:
    return LstmModel(seed=seed, epochs=2, max_sequences=600, batch_size=128)


def make(name: str, seed: int = 3):
    return tiny_lstm(seed) if name == "lstm" else create_models([name], seed=seed)[0]


@pytest.mark.parametrize("name", ["gbm", "rf", "momentum", "lstm"])
def test_save_load_round_trip_predicts_identically(name: str, samples, tmp_path: Path) -> None:
    labelled = samples.labelled()
    model = make(name)
    model.fit(labelled)
    before = model.predict_proba(samples)
    model.save(tmp_path)
    after = load_model(name, tmp_path).predict_proba(samples)
    np.testing.assert_array_equal(before, after)
    assert ((before >= 0) & (before <= 1)).all()


@pytest.mark.parametrize("name", ["gbm", "rf", "lstm"])
def test_same_seed_same_predictions(name: str, samples) -> None:
    labelled = samples.labelled()
    first, second, other = make(name, 5), make(name, 5), make(name, 6)
    for model in (first, second, other):
        model.fit(labelled)
    np.testing.assert_array_equal(first.predict_proba(samples), second.predict_proba(samples))
    assert not np.array_equal(first.predict_proba(samples), other.predict_proba(samples))


def test_untrained_model_says_so(samples) -> None:
    with pytest.raises(ModelError, match="gbm model has not been trained"):
        make("gbm").predict_proba(samples)


def test_unknown_model_name() -> None:
    with pytest.raises(ModelError, match="unknown model 'svm'"):
        create_models(["svm"])


@pytest.mark.parametrize("calibrator", [PlattCalibrator(), IsotonicCalibrator()])
def test_calibration_lowers_ece_on_an_overconfident_model(calibrator) -> None:
    rng = np.random.default_rng(0)
    truth = rng.uniform(0.3, 0.7, 4000)
    y = (rng.random(4000) < truth).astype(float)
    overconfident = 1 / (1 + np.exp(-4 * np.log(truth / (1 - truth))))  # pushed to the edges
    fit, check = slice(0, 2000), slice(2000, 4000)
    calibrator.fit(overconfident[fit], y[fit])
    before = expected_calibration_error(y[check], overconfident[check])
    after = expected_calibration_error(y[check], calibrator.transform(overconfident[check]))
    assert before > 0.08
    assert after < before / 2


def test_calibration_never_turns_a_model_upside_down() -> None:
    """A hold-out that ranks the model backwards gets a flat forecast (its base rate),
    not an inverted one: a few months are not evidence enough to flip a model."""
    rng = np.random.default_rng(1)
    p = rng.uniform(0.2, 0.8, 3000)
    y = (rng.random(3000) < 1 - p).astype(float)  # backwards on this hold-out
    calibrated = PlattCalibrator().fit(p, y).transform(p)
    assert np.ptp(calibrated) == pytest.approx(0.0, abs=1e-12)
    assert calibrated[0] == pytest.approx(y.mean())
