"""The walk-forward run: for each fold, an ensemble fit on the purged past only, its
out-of-sample predictions on the fold's sessions, and what the baselines did on the
same trades. The `OosRecord` it returns is the only input to the figures and grades.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ml.calibration import PlattCalibrator
from ml.dataset import Samples
from ml.ensemble import Ensemble
from ml.grading import TradeRecord
from ml.models import create_models
from ml.models.gbm import GbmModel
from ml.models.momentum import MomentumModel
from ml.splits import MIN_EMBARGO, Fold, walk_forward, yearly_folds

ENSEMBLE = "ensemble"
BASE_RATE = "base_rate"
"""The constant forecast: the training fold's share of profitable trades (or of up days)."""
MOMENTUM_BASELINE = "momentum_baseline"
"""The momentum rule's score, calibrated on the training fold: a probability baseline."""

ALL_TRADES = "all_trades"
RANDOM_ENTRIES = "random_entries"
MOMENTUM_RULE = "momentum_rule"
TREND_FILTER = "trend_filter"
BASELINE_SELECTIONS = (ALL_TRADES, RANDOM_ENTRIES, MOMENTUM_RULE, TREND_FILTER)

OnProgress = Callable[[str, str, str], None]
"""(stage, model, status): stage is "fold 2/5" or "final"."""


@dataclass(frozen=True)
class WalkForwardConfig:
    test_size: int | None = None
    """Sessions per test block; None: calendar years."""
    min_train: int = 504
    """Sessions of training before the first test block (about two years)."""
    embargo: int = MIN_EMBARGO
    max_folds: int | None = None
    """Keep only the newest folds (training cost grows with each)."""
    expanding: bool = True

    def folds(self, timestamps: pd.DatetimeIndex, horizon: int) -> list[Fold]:
        if self.test_size is None:
            return yearly_folds(
                timestamps,
                min_train=self.min_train,
                horizon=horizon,
                embargo=self.embargo,
                expanding=self.expanding,
                max_folds=self.max_folds,
            )
        return walk_forward(
            timestamps,
            test_size=self.test_size,
            min_train=self.min_train,
            horizon=horizon,
            embargo=self.embargo,
            expanding=self.expanding,
            max_folds=self.max_folds,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "blocks": "calendar years" if self.test_size is None else f"{self.test_size} sessions",
            "min_train_sessions": self.min_train,
            "embargo_sessions": self.embargo,
            "max_folds": self.max_folds,
            "expanding": self.expanding,
        }


YEARLY = WalkForwardConfig()
"""Calendar-year test blocks over all the history there is."""


@dataclass
class OosRecord:
    """Every out-of-sample prediction of a walk-forward run, one row per test sample."""

    folds: list[Fold]
    index: pd.DataFrame
    """symbol, timestamp, label, r, fold."""
    target: str
    horizon: int
    models: list[str]
    """The ensemble's members, in order."""
    probabilities: dict[str, np.ndarray]
    """Calibrated probabilities: each member, the ensemble, the base rate, momentum."""
    selections: dict[str, np.ndarray]
    """The trades each model would take (its own rule) and each baseline rule takes."""
    expected_r: np.ndarray | None
    fold_rules: list[dict[str, Any]] = field(default_factory=list)
    """Per fold: the training base rate, typical R and the selection bar used."""
    importance: dict[str, float] = field(default_factory=dict)

    @property
    def labels(self) -> np.ndarray:
        return self.index["label"].to_numpy(dtype=float)

    @property
    def r(self) -> np.ndarray:
        return self.index["r"].to_numpy(dtype=float)

    @property
    def timestamps(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.index["timestamp"])

    @property
    def symbols(self) -> np.ndarray:
        return self.index["symbol"].to_numpy(dtype=object)

    @property
    def has_r(self) -> bool:
        return self.target == "plan"

    def trade_record(self, name: str) -> TradeRecord:
        """What grading reads for one model (a member or the ensemble)."""
        return TradeRecord(
            labels=self.labels,
            probability=self.probabilities[name],
            base_rate=self.probabilities[BASE_RATE],
            r=self.r,
            selected=self.selections[name],
            timestamps=self.timestamps,
            symbols=self.symbols,
        )


def momentum_probability(train: Samples, test: Samples) -> np.ndarray:
    """The momentum rule, calibrated on the training fold only."""
    rule = MomentumModel()
    calibrator = PlattCalibrator().fit(rule.predict_proba(train), train.labels)
    return calibrator.transform(rule.predict_proba(test))


def baseline_selections(test: Samples) -> dict[str, np.ndarray]:
    """The simple rules a model must beat, on the same candidate trades (no fitting)."""
    # The classic trend filter: the stock and the market above their 200-day means
    # (the stock alone when no market context was given).
    above_200 = test.column("close_sma_200") > 0
    market = test.index["market_trend"].to_numpy(dtype=float)
    if np.isfinite(market).all():
        above_200 = above_200 & (market > 0)
    return {
        ALL_TRADES: np.ones(len(test), dtype=bool),
        MOMENTUM_RULE: MomentumModel().predict_proba(test) > 0.5,
        TREND_FILTER: np.asarray(above_200, dtype=bool),
    }


def date_matched_random(
    timestamps: pd.DatetimeIndex, selected: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """As many random candidate trades on each date as `selected` takes there: the same
    exits (every candidate follows the plan), chance in place of the model's choice."""
    _, day = np.unique(np.asarray(timestamps.asi8), return_inverse=True)
    wanted = np.bincount(day, weights=np.asarray(selected, dtype=float)).astype(np.int64)
    # Shuffle within each day, then take that day's first `wanted` rows.
    order = np.lexsort((rng.random(len(day)), day))
    days_sorted = day[order]
    starts = np.searchsorted(days_sorted, np.arange(len(wanted)))
    rank = np.arange(len(day)) - starts[days_sorted]
    out = np.zeros(len(day), dtype=bool)
    out[order[rank < wanted[days_sorted]]] = True
    return out


def walk_forward_run(
    samples: Samples,
    model_names: Sequence[str],
    *,
    config: WalkForwardConfig = YEARLY,
    seed: int = 7,
    on_progress: OnProgress | None = None,
    on_fold: Callable[[Fold], None] | None = None,
) -> OosRecord:
    labelled = samples.labelled()
    timestamps = labelled.timestamps
    folds = config.folds(timestamps, samples.horizon)
    parts: list[pd.DataFrame] = []
    probabilities: dict[str, list[np.ndarray]] = {}
    selections: dict[str, list[np.ndarray]] = {}
    expected: list[np.ndarray] = []
    rules: list[dict[str, Any]] = []
    importance: dict[str, float] = {}
    names: list[str] = []
    for fold in folds:
        stage = f"fold {fold.number}/{len(folds)}"
        train_mask, test_mask = fold.masks(timestamps)
        train, test = labelled.subset(train_mask), labelled.subset(test_mask)
        ensemble = Ensemble(create_models(model_names, seed=seed), embargo=config.embargo)
        progress = (
            (lambda model, status, s=stage: on_progress(s, model, status)) if on_progress else None
        )
        ensemble.fit(train, progress)
        names = ensemble.names
        final, members = ensemble.predict_with_members(test)
        outputs = {
            **members,
            ENSEMBLE: final,
            BASE_RATE: np.full(len(test), train.labels.mean()),
            MOMENTUM_BASELINE: momentum_probability(train, test),
        }
        chosen = {name: ensemble.selected(p) for name, p in {**members, ENSEMBLE: final}.items()}
        chosen.update(baseline_selections(test))
        for name, p in outputs.items():
            probabilities.setdefault(name, []).append(p)
        for name, mask in chosen.items():
            selections.setdefault(name, []).append(mask)
        implied = ensemble.expected_r(final)
        expected.append(implied if implied is not None else np.full(len(test), np.nan))
        part = test.index[["symbol", "timestamp", "label", "r"]].copy()
        part["fold"] = fold.number
        parts.append(part)
        rules.append(_fold_rule(fold, ensemble, train))
        _add_importance(importance, ensemble, len(folds))
        if on_fold:
            on_fold(fold)
    index = pd.concat(parts, ignore_index=True)
    joined = {name: np.concatenate(p) for name, p in selections.items()}
    joined[RANDOM_ENTRIES] = date_matched_random(
        pd.DatetimeIndex(index["timestamp"]), joined[ENSEMBLE], np.random.default_rng(seed)
    )
    return OosRecord(
        folds=folds,
        index=index,
        target=samples.target,
        horizon=samples.horizon,
        models=names,
        probabilities={name: np.concatenate(p) for name, p in probabilities.items()},
        selections=joined,
        expected_r=np.concatenate(expected) if samples.target == "plan" else None,
        fold_rules=rules,
        importance=importance,
    )


def _fold_rule(fold: Fold, ensemble: Ensemble, train: Samples) -> dict[str, Any]:
    outlook, selection = ensemble.outlook, ensemble.selection
    return {
        "fold": fold.number,
        "train_base_rate": float(train.labels.mean()),
        "typical_r": outlook.typical_r if outlook else None,
        "selection_base_rate": selection.base_rate if selection else None,
        "selection_threshold": selection.threshold if selection else None,
    }


def _add_importance(total: dict[str, float], ensemble: Ensemble, folds: int) -> None:
    """Mean LightGBM gain over the folds (out-of-sample models, not the final one)."""
    gbm = next((m for m in ensemble.models if isinstance(m, GbmModel)), None)
    if gbm is not None:
        for feature, gain in gbm.feature_importance().items():
            total[feature] = total.get(feature, 0.0) + gain / folds
