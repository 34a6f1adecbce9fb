from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from ml.calibration import AnchoredCalibrator, PlattCalibrator, calibrator_from_dict
from ml.dataset import build_samples
from ml.ensemble import Ensemble, weights_from_losses
from ml.features import FEATURE_NAMES, feature_names
from ml.models import create_models
from ml.models.base import ModelError
from ml.models.lstm import LstmModel
from ml.registry import (
    RegistryError,
    build_manifest,
    current_run_id,
    is_proven,
    list_runs,
    load_run,
    new_run_id,
    save_run,
    set_current,
)
from ml.targets import PlanTarget
from ml.walk_forward import (
    BASE_RATE,
    ENSEMBLE,
    MOMENTUM_BASELINE,
    WalkForwardConfig,
    walk_forward_run,
)
from tests.unit.ml.conftest import simulated_bars

LOOKBACK = 20


@pytest.fixture(scope="module")
def spy():
    return simulated_bars(["SPY"], years=4)["SPY"]


@pytest.fixture(scope="module")
def trained(small_universe, spy):
    samples = build_samples(small_universe, lookback=LOOKBACK, target=PlanTarget(), context=spy)
    cut = samples.timestamps[int(len(samples) * 0.7)]
    train = samples.subset((samples.timestamps <= cut) & samples.index["label"].notna())
    models = [
        *create_models(["gbm", "rf", "momentum"], seed=3),
        LstmModel(seed=3, epochs=1, max_sequences=500),
    ]
    ensemble = Ensemble(models)
    ensemble.fit(train)
    return ensemble, samples, cut


def test_prediction_carries_votes_agreement_and_reasons(trained) -> None:
    ensemble, samples, _ = trained
    latest = samples.subset(samples.index.groupby("symbol").cumcount(ascending=False) == 0)
    predictions = ensemble.predictions(latest, model_run_id="run-x")
    assert [p.symbol for p in predictions] == sorted(latest.index["symbol"])
    outlook, selection = ensemble.outlook, ensemble.selection
    for p in predictions:
        assert set(p.model_probabilities) == {"gbm", "rf", "momentum", "lstm"}
        assert 0 < p.probability_up < 1
        assert p.confidence == max(p.probability_up, 1 - p.probability_up)
        assert len(p.top_features) == 5
        assert {f.name for f in p.top_features} <= set(feature_names(context=True))
        # The plan target's extras: what the trade is worth against the plan's typical.
        assert p.target == "plan"
        assert p.horizon == PlanTarget().horizon
        assert p.base_rate == pytest.approx(outlook.base_rate)
        assert p.typical_r == pytest.approx(outlook.typical_r)
        expected = (
            p.probability_up * outlook.mean_win_r + (1 - p.probability_up) * outlook.mean_loss_r
        )
        assert p.expected_r == pytest.approx(expected)
        assert p.selection_threshold == pytest.approx(selection.threshold)
        magnitudes = [abs(f.contribution) for f in p.top_features]
        assert magnitudes == sorted(magnitudes, reverse=True)
        assert p.model_run_id == "run-x"
    assert abs(sum(ensemble.weights.values()) - 1) < 1e-12


def test_ensemble_prediction_is_causal_at_many_cut_points(trained, small_universe, spy) -> None:
    """Predicting at t from history up to t equals predicting t within the full history."""
    ensemble, samples, cut = trained
    full = ensemble.predict(samples)
    rng = np.random.default_rng(4)
    bars = small_universe["AAA"]
    after_cut = np.flatnonzero(bars.index > cut)
    for position in rng.choice(after_cut, size=20, replace=False):
        t = bars.index[position]
        partial = build_samples(
            {"AAA": bars.iloc[: position + 1]},
            lookback=LOOKBACK,
            context=spy.loc[:t],
        )
        here = partial.subset(partial.timestamps == t)
        in_full = np.flatnonzero(
            (samples.index["symbol"] == "AAA").to_numpy() & (samples.timestamps == t)
        )
        assert len(here) == 1
        assert ensemble.predict(here)[0] == pytest.approx(full[in_full[0]], abs=1e-9)


def test_save_and_load_through_the_registry(trained, small_universe, tmp_path: Path) -> None:
    ensemble, samples, _ = trained
    run_id = new_run_id()
    manifest = build_manifest(
        run_id=run_id,
        ensemble=ensemble,
        bars=small_universe,
        lookback=LOOKBACK,
        metrics={},
        folds=[],
    )
    save_run(tmp_path, run_id, ensemble, manifest)
    set_current(tmp_path, run_id)
    loaded, run = load_run(tmp_path)
    assert current_run_id(tmp_path) == run_id
    assert run.manifest["data_fingerprint"] == manifest["data_fingerprint"]
    assert run.manifest["feature_names"] == list(feature_names(context=True))
    assert run.manifest["market_context"] is True
    assert run.manifest["target"] == "plan"
    assert run.manifest["horizon"] == PlanTarget().horizon
    assert run.manifest["typical"]["base_rate"] == pytest.approx(ensemble.outlook.base_rate)
    assert not is_proven(run.manifest)  # no grade given: not proven
    assert "lightgbm" in run.manifest["libraries"]
    np.testing.assert_array_equal(loaded.predict(samples), ensemble.predict(samples))
    assert loaded.outlook == ensemble.outlook
    assert loaded.selection == ensemble.selection
    assert loaded.feature_names == ensemble.feature_names
    assert [r.run_id for r in list_runs(tmp_path)] == [run_id]


def test_feature_schema_mismatch_is_refused(trained, small_universe, tmp_path: Path) -> None:
    import json

    ensemble, _, _ = trained
    manifest = build_manifest(
        run_id="old",
        ensemble=ensemble,
        bars=small_universe,
        lookback=LOOKBACK,
        metrics={},
        folds=[],
    )
    manifest["feature_names"] = [*FEATURE_NAMES[:-1], "old_feature"]
    save_run(tmp_path, "old", ensemble, manifest)
    set_current(tmp_path, "old")
    with pytest.raises(
        RegistryError,
        match=r"different feature schema \(missing \['gap'\], unexpected \['old_feature'\]\)",
    ):
        load_run(tmp_path)
    assert json.loads((tmp_path / "old" / "manifest.json").read_text())["run_id"] == "old"


def test_missing_current_model_is_explained(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="no current model"):
        load_run(tmp_path)
    with pytest.raises(RegistryError, match="no model run 'nope'"):
        set_current(tmp_path, "nope")


def test_weights_follow_log_loss(trained) -> None:
    ensemble, _, _ = trained
    weights = ensemble.update_weights({"gbm": 0.680, "rf": 0.690, "momentum": 0.700, "lstm": 0.695})
    assert weights["gbm"] > weights["rf"] > weights["lstm"] > weights["momentum"]
    assert weights_from_losses({"a": 0.69, "b": 0.695})["b"] == pytest.approx(
        np.exp(-1) / (1 + np.exp(-1))
    )
    with pytest.raises(ModelError, match="no member named svm"):
        ensemble.update_weights({"svm": 0.6})


def test_samples_without_the_context_are_refused(trained, small_universe) -> None:
    ensemble, _, _ = trained
    plain = build_samples(small_universe, lookback=LOOKBACK)
    with pytest.raises(ModelError, match=r"build them with the market context"):
        ensemble.predict(plain)


def test_anchoring_moves_the_level_not_the_order() -> None:
    rng = np.random.default_rng(0)
    raw = rng.uniform(0.2, 0.8, 2000)
    y = (rng.random(2000) < raw).astype(float)
    platt = PlattCalibrator().fit(raw, y)
    anchored = AnchoredCalibrator.anchor(platt, raw, 0.30)
    moved = anchored.transform(raw)
    assert moved.mean() == pytest.approx(0.30, abs=1e-6)
    assert (np.argsort(moved) == np.argsort(platt.transform(raw))).all()
    restored = calibrator_from_dict(anchored.to_dict())
    np.testing.assert_allclose(restored.transform(raw), moved)


@pytest.mark.parametrize(("predictability", "low", "high"), [(0.0, 0.47, 0.53), (0.5, 0.535, 1.0)])
def test_walk_forward_auc_is_honest(predictability: float, low: float, high: float) -> None:
    """On a random walk nothing can be learnt (a higher AUC would be a leak); with the
    default structure the ensemble is clearly above chance (next-day direction)."""
    bars = simulated_bars(
        [f"S{i:02d}" for i in range(10)], years=7, predictability=predictability, seed=21
    )
    samples = build_samples(bars, lookback=LOOKBACK)
    record = walk_forward_run(
        samples,
        ["gbm", "rf", "momentum"],
        config=WalkForwardConfig(test_size=252, min_train=504, max_folds=3),
    )
    auc = roc_auc_score(record.labels, record.probabilities[ENSEMBLE])
    assert low <= auc <= high
    assert {BASE_RATE, MOMENTUM_BASELINE, "gbm"} <= set(record.probabilities)
    assert len(record.index) == 3 * 252 * 10
