"""A random forest, grown by LightGBM's random-forest mode on one thread.

It replaced scikit-learn's RandomForestClassifier (issue 17): that fit was about half
of a backtest's run time (3.6 s of CPU per training window); LightGBM grows the same
kind of forest — bootstrap-like row bagging, a random share of the features per tree,
fully averaged trees, no boosting — in a tenth of the time at equal hold-out AUC
(figures in `benchmarks/ml_bench.py --real-data`). The trees stay shallow with many
samples per leaf: daily outcomes are mostly noise.

50 trees over 63 feature bins rather than 100 over 255: 2.6-2.9× cheaper at the same
out-of-sample figures — over six 100-symbol backtest windows of the simulated market,
log loss 0.7052 vs 0.7037 and AUC 0.579 vs 0.581; over 25 half-yearly windows of seven
real stocks, log loss 0.7137 vs 0.7142 and AUC 0.489 vs 0.490
(`benchmarks/ml_bench.py --windows`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib
import lightgbm as lgb
import numpy as np

from ml.dataset import Samples
from ml.models.base import ModelError, Progress

_FILE = "rf.txt"
_LEGACY_FILE = "rf.joblib"


class ForestModel:
    name = "rf"

    def __init__(self, *, seed: int = 7, trees: int = 50, bins: int = 63, threads: int = 1) -> None:
        self.seed = seed
        self.trees = trees
        self.bins = bins
        self.threads = threads
        self._booster: lgb.Booster | None = None
        self._legacy: Any = None
        """A scikit-learn forest loaded from a run saved before the switch."""

    def _params(self) -> dict[str, Any]:
        return {
            "objective": "binary",
            "boosting": "rf",
            "bagging_fraction": 0.632,  # the share of distinct rows in a bootstrap
            "bagging_freq": 1,
            "feature_fraction_bynode": 0.2,  # about sqrt(features) per split
            "max_depth": 8,
            "num_leaves": 255,
            "min_data_in_leaf": 50,
            "max_bin": self.bins,  # an averaged forest of shallow trees needs no finer cuts
            "seed": self.seed,
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": self.threads,
            "verbose": -1,
        }

    def fit(self, samples: Samples, progress: Progress | None = None) -> None:
        data = lgb.Dataset(
            samples.tabular(),
            label=samples.labels,
            feature_name=list(samples.feature_names),
            free_raw_data=True,
        )
        self._booster = lgb.train(self._params(), data, num_boost_round=self.trees)
        self._legacy = None
        if progress:
            progress(f"{self.trees} trees")

    def predict_proba(self, samples: Samples) -> np.ndarray:
        if self._legacy is not None:
            return np.asarray(self._legacy.predict_proba(samples.tabular())[:, 1], dtype=float)
        if self._booster is None:
            raise ModelError("the rf model has not been trained or loaded")
        return np.asarray(self._booster.predict(samples.tabular(), num_threads=1), dtype=float)

    def save(self, folder: Path) -> None:
        if self._booster is None:
            raise ModelError("the rf model has not been trained")
        self._booster.save_model(str(folder / _FILE))

    @classmethod
    def load(cls, folder: Path) -> ForestModel:
        model = cls()
        if (folder / _FILE).is_file():
            model._booster = lgb.Booster(model_file=str(folder / _FILE))
        else:
            # A joblib file is a pickle: only ever load runs this agent wrote itself.
            model._legacy = joblib.load(folder / _LEGACY_FILE)
            model._legacy.n_jobs = 1
        return model
