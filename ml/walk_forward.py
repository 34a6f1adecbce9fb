"""The walk-forward run: for each fold, an ensemble fit on the purged past only, its
out-of-sample predictions on the fold's sessions, and what the baselines did on the
same trades. The `OosRecord` it returns is the only input to the figures and grades.

Each fold is a pure task (`FoldTask` → `run_fold` → `FoldResult`), so folds run on the
runner of `ml.parallel` — in this process, local processes or a Dask cluster — and are
merged in fold order: the record is the same wherever they ran.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
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
from ml.packing import pack, take
from ml.parallel import Runner, runner_for
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


@dataclass(frozen=True)
class FoldTask:
    """One fold as a pure task: fit on `train`, predict `test` (rows of the labelled
    samples), with the members, embargo and seed every fold shares."""

    fold: Fold
    train: np.ndarray
    test: np.ndarray
    models: tuple[str, ...]
    embargo: int
    seed: int


@dataclass
class FoldResult:
    """What a fold sends back: its test rows' index, every model's and baseline's view
    of them, and the figures the record keeps per fold."""

    fold: Fold
    names: list[str]
    index: pd.DataFrame
    probabilities: dict[str, np.ndarray]
    selections: dict[str, np.ndarray]
    expected: np.ndarray
    rule: dict[str, Any]
    importance: dict[str, float]


def run_fold(
    samples: Samples, task: FoldTask, on_progress: OnProgress | None = None, folds: int = 0
) -> FoldResult:
    """Fit an ensemble on the fold's past, predict its test block (any process)."""
    stage = f"fold {task.fold.number}/{folds}"
    train, test = take(samples, task.train), take(samples, task.test)
    ensemble = Ensemble(create_models(task.models, seed=task.seed), embargo=task.embargo)
    progress = (lambda model, status: on_progress(stage, model, status)) if on_progress else None
    ensemble.fit(train, progress)
    final, members = ensemble.predict_with_members(test)
    outputs = {
        **members,
        ENSEMBLE: final,
        BASE_RATE: np.full(len(test), train.labels.mean()),
        MOMENTUM_BASELINE: momentum_probability(train, test),
    }
    chosen = {name: ensemble.selected(p) for name, p in {**members, ENSEMBLE: final}.items()}
    chosen.update(baseline_selections(test))
    implied = ensemble.expected_r(final)
    part = test.index[["symbol", "timestamp", "label", "r"]].copy()
    part["fold"] = task.fold.number
    gbm = next((m for m in ensemble.models if isinstance(m, GbmModel)), None)
    return FoldResult(
        fold=task.fold,
        names=ensemble.names,
        index=part,
        probabilities=outputs,
        selections=chosen,
        expected=implied if implied is not None else np.full(len(test), np.nan),
        rule=_fold_rule(task.fold, ensemble, train),
        importance=gbm.feature_importance() if gbm is not None else {},
    )


def pack_fold(samples: Samples, task: FoldTask) -> tuple[Samples, FoldTask]:
    """The fold's rows only, for a local worker process (see `ml.packing`)."""
    packed, (train, test) = pack(samples, task.train, task.test)
    return packed, replace(task, train=train, test=test)


@dataclass
class FoldStream:
    """A walk-forward under way: its folds, and their results as they come in order."""

    samples: Samples
    folds: list[Fold]
    results: Iterator[FoldResult]
    seed: int
    on_fold: Callable[[Fold], None] | None = None

    def collect(self) -> OosRecord:
        parts: list[FoldResult] = []
        for result in self.results:
            parts.append(result)
            if self.on_fold:
                self.on_fold(result.fold)
        return _record(self.samples, self.folds, parts, self.seed)


def start_walk_forward(
    samples: Samples,
    model_names: Sequence[str],
    *,
    config: WalkForwardConfig = YEARLY,
    seed: int = 7,
    runner: Runner | None = None,
    on_progress: OnProgress | None = None,
    on_fold: Callable[[Fold], None] | None = None,
) -> FoldStream:
    """Plan the folds (a too-short history raises `SplitError` here, before any work)
    and start fitting them on `runner` (default: `ml.parallel.runner_for()`); per-model
    progress is reported only when the folds run in this process."""
    runner = runner or runner_for()
    labelled = samples.labelled()
    timestamps = labelled.timestamps
    folds = config.folds(timestamps, samples.horizon)
    tasks = []
    for fold in folds:
        train_mask, test_mask = fold.masks(timestamps)
        tasks.append(
            FoldTask(
                fold,
                np.flatnonzero(train_mask),
                np.flatnonzero(test_mask),
                tuple(model_names),
                config.embargo,
                seed,
            )
        )
    local = runner.backend == "sequential"
    task = partial(run_fold, on_progress=on_progress if local else None, folds=len(folds))
    results = runner.map(task, tasks, labelled, pack=pack_fold)
    return FoldStream(samples, folds, results, seed, on_fold)


def walk_forward_run(
    samples: Samples,
    model_names: Sequence[str],
    *,
    config: WalkForwardConfig = YEARLY,
    seed: int = 7,
    runner: Runner | None = None,
    on_progress: OnProgress | None = None,
    on_fold: Callable[[Fold], None] | None = None,
) -> OosRecord:
    """Every fold's out-of-sample predictions, fitted on `runner` and merged in fold
    order (the same record wherever the folds ran)."""
    return start_walk_forward(
        samples,
        model_names,
        config=config,
        seed=seed,
        runner=runner,
        on_progress=on_progress,
        on_fold=on_fold,
    ).collect()


def _record(samples: Samples, folds: list[Fold], parts: list[FoldResult], seed: int) -> OosRecord:
    probabilities: dict[str, list[np.ndarray]] = {}
    selections: dict[str, list[np.ndarray]] = {}
    importance: dict[str, float] = {}
    for part in parts:
        for name, p in part.probabilities.items():
            probabilities.setdefault(name, []).append(p)
        for name, mask in part.selections.items():
            selections.setdefault(name, []).append(mask)
        # Mean LightGBM gain over the folds (out-of-sample models, not the final one).
        for feature, gain in part.importance.items():
            importance[feature] = importance.get(feature, 0.0) + gain / len(folds)
    index = pd.concat([part.index for part in parts], ignore_index=True)
    joined = {name: np.concatenate(p) for name, p in selections.items()}
    joined[RANDOM_ENTRIES] = date_matched_random(
        pd.DatetimeIndex(index["timestamp"]), joined[ENSEMBLE], np.random.default_rng(seed)
    )
    return OosRecord(
        folds=folds,
        index=index,
        target=samples.target,
        horizon=samples.horizon,
        models=parts[-1].names if parts else [],
        probabilities={name: np.concatenate(p) for name, p in probabilities.items()},
        selections=joined,
        expected_r=(
            np.concatenate([part.expected for part in parts]) if samples.target == "plan" else None
        ),
        fold_rules=[part.rule for part in parts],
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
