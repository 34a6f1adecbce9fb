"""Training runs and walk-forward evaluation: what `stockbot train` and `stockbot
evaluate` (and the scheduler's weekly retrain) do.

Every figure reported here is out of sample: each fold's ensemble is fit on sessions
before the fold (purged and embargoed) and scored on the fold's sessions only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ml.calibration import PlattCalibrator
from ml.dataset import Samples, build_samples
from ml.ensemble import Ensemble
from ml.evaluation import classification_metrics, reliability_bins, top_features
from ml.models import create_models
from ml.models.gbm import GbmModel
from ml.models.momentum import MomentumModel
from ml.registry import build_manifest, new_run_id
from ml.splits import Fold, walk_forward

ENSEMBLE = "ensemble"
ALWAYS_UP = "always_up"
MOMENTUM_BASELINE = "momentum_baseline"

OnProgress = Callable[[str, str, str], None]
"""(stage, model, status): stage is "fold 2/5" or "final"."""


@dataclass(frozen=True)
class WalkForwardConfig:
    test_size: int = 126
    """Sessions per test block (about half a year)."""
    min_train: int = 504
    """Sessions of training before the first test block (about two years)."""
    embargo: int = 5
    max_folds: int | None = None
    """Keep only the newest folds (training cost grows with each)."""
    expanding: bool = True


@dataclass
class EvaluationReport:
    folds: list[Fold]
    labels: np.ndarray
    probabilities: dict[str, np.ndarray]
    """OOS probabilities per member, the ensemble and both baselines."""
    importance: dict[str, float] = field(default_factory=dict)

    @property
    def metrics(self) -> dict[str, dict[str, Any]]:
        return {
            name: classification_metrics(self.labels, p) for name, p in self.probabilities.items()
        }

    def to_json(self) -> dict[str, Any]:
        keep = ("accuracy", "auc", "brier", "log_loss", "ece", "n")
        return {
            "metrics": {name: {k: m[k] for k in keep} for name, m in self.metrics.items()},
            "folds": [fold.as_dict() for fold in self.folds],
            "reliability": {
                name: reliability_bins(self.labels, p) for name, p in self.probabilities.items()
            },
        }


def _momentum_baseline(train: Samples, test: Samples) -> np.ndarray:
    """The momentum rule, calibrated on the training fold only."""
    rule = MomentumModel()
    calibrator = PlattCalibrator().fit(rule.predict_proba(train), train.labels)
    return calibrator.transform(rule.predict_proba(test))


def walk_forward_evaluate(
    samples: Samples,
    model_names: Sequence[str],
    *,
    config: WalkForwardConfig = WalkForwardConfig(),
    seed: int = 7,
    on_progress: OnProgress | None = None,
    on_fold: Callable[[Fold], None] | None = None,
) -> EvaluationReport:
    labelled = samples.labelled()
    timestamps = labelled.timestamps
    folds = walk_forward(
        timestamps,
        test_size=config.test_size,
        min_train=config.min_train,
        horizon=samples.horizon,
        embargo=config.embargo,
        expanding=config.expanding,
        max_folds=config.max_folds,
    )
    labels: list[np.ndarray] = []
    collected: dict[str, list[np.ndarray]] = {}
    importance: dict[str, float] = {}
    for fold in folds:
        stage = f"fold {fold.number}/{len(folds)}"
        train_mask, test_mask = fold.masks(timestamps)
        train, test = labelled.subset(train_mask), labelled.subset(test_mask)
        ensemble = Ensemble(create_models(model_names, seed=seed), embargo=config.embargo)
        progress = (
            (lambda model, status, s=stage: on_progress(s, model, status)) if on_progress else None
        )
        ensemble.fit(train, progress)
        final, members = ensemble.predict_with_members(test)
        outputs = {
            **members,
            ENSEMBLE: final,
            ALWAYS_UP: np.full(len(test), train.labels.mean()),
            MOMENTUM_BASELINE: _momentum_baseline(train, test),
        }
        for name, p in outputs.items():
            collected.setdefault(name, []).append(p)
        labels.append(test.labels)
        gbm = next((m for m in ensemble.models if isinstance(m, GbmModel)), None)
        if gbm is not None:
            for feature, gain in gbm.feature_importance().items():
                importance[feature] = importance.get(feature, 0.0) + gain / len(folds)
        if on_fold:
            on_fold(fold)
    return EvaluationReport(
        folds=folds,
        labels=np.concatenate(labels),
        probabilities={name: np.concatenate(parts) for name, parts in collected.items()},
        importance=importance,
    )


def _importance(report: EvaluationReport | None, ensemble: Ensemble) -> dict[str, float]:
    """Out-of-sample folds' mean LightGBM gain when evaluated, else the final model's."""
    if report is not None and report.importance:
        return report.importance
    gbm = next((m for m in ensemble.models if isinstance(m, GbmModel)), None)
    return gbm.feature_importance() if gbm is not None else {}


@dataclass
class TrainResult:
    run_id: str
    ensemble: Ensemble
    manifest: dict[str, Any]
    report: EvaluationReport | None


def train_run(
    bars: Mapping[str, pd.DataFrame],
    model_names: Sequence[str],
    *,
    lookback: int = 60,
    horizon: int = 1,
    seed: int = 7,
    evaluation: WalkForwardConfig | None = WalkForwardConfig(max_folds=3),
    on_progress: OnProgress | None = None,
    on_fold: Callable[[Fold], None] | None = None,
) -> TrainResult:
    """Walk-forward OOS figures (unless `evaluation` is None), then one ensemble fit on
    all labelled history: the model that will trade."""
    samples = build_samples(bars, lookback=lookback, horizon=horizon)
    report = None
    if evaluation is not None:
        report = walk_forward_evaluate(
            samples,
            model_names,
            config=evaluation,
            seed=seed,
            on_progress=on_progress,
            on_fold=on_fold,
        )
    ensemble = Ensemble(
        create_models(model_names, seed=seed), embargo=evaluation.embargo if evaluation else 5
    )
    progress = (lambda model, status: on_progress("final", model, status)) if on_progress else None
    ensemble.fit(samples, progress)
    run_id = new_run_id()
    report_json = report.to_json() if report else {"metrics": {}, "folds": [], "reliability": {}}
    manifest = build_manifest(
        run_id=run_id,
        ensemble=ensemble,
        bars=bars,
        lookback=lookback,
        horizon=horizon,
        metrics=report_json["metrics"],
        folds=report_json["folds"],
        reliability=report_json["reliability"],
        importance=dict(top_features(_importance(report, ensemble))),
    )
    return TrainResult(run_id, ensemble, manifest, report)
