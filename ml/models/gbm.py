"""LightGBM gradient-boosted trees; also the source of per-prediction reasons
(`pred_contrib`: each feature's push on the log-odds, SHAP values).

One thread: on a busy two-core machine LightGBM's OpenMP threads spin-wait for each
other — one fit took 9.45 s of CPU with two threads against 0.78 s with one, at the
same AUC (issue 17).

150 trees at a learning rate of 0.06 rather than 300 at 0.03: half the fit and half the
cost of the reasons (SHAP walks every tree), at equal out-of-sample figures — over six
100-symbol backtest windows of the simulated market, log loss 0.7333 vs 0.7339 and AUC
0.564 vs 0.561; over 25 half-yearly windows of seven real stocks, log loss 0.7975 vs
0.7938 and AUC 0.480 vs 0.482, no skill either way (`benchmarks/ml_bench.py --windows`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from ml.dataset import Samples
from ml.models.base import ModelError, Progress

_FILE = "gbm.txt"


class GbmModel:
    name = "gbm"

    def __init__(
        self, *, seed: int = 7, rounds: int = 150, learning_rate: float = 0.06, threads: int = 1
    ) -> None:
        self.seed = seed
        self.rounds = rounds
        self.learning_rate = learning_rate
        self.threads = threads
        self._booster: lgb.Booster | None = None

    def _params(self) -> dict[str, Any]:
        # Small leaves and many samples per leaf: daily returns are mostly noise.
        return {
            "objective": "binary",
            "learning_rate": self.learning_rate,
            "num_leaves": 15,
            "min_data_in_leaf": 100,
            "feature_fraction": 0.8,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "lambda_l2": 1.0,
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
        self._booster = lgb.train(self._params(), data, num_boost_round=self.rounds)
        if progress:
            progress(f"{self.rounds} trees")

    @property
    def booster(self) -> lgb.Booster:
        if self._booster is None:
            raise ModelError("the gbm model has not been trained or loaded")
        return self._booster

    def predict_proba(self, samples: Samples) -> np.ndarray:
        return np.asarray(self.booster.predict(samples.tabular(), num_threads=1), dtype=float)

    def contributions(self, samples: Samples) -> np.ndarray:
        """(n, features) log-odds contributions (SHAP values); the bias column is dropped.
        About 40× the cost of `predict_proba`: ask only for predictions shown to a person."""
        values = self.booster.predict(samples.tabular(), pred_contrib=True, num_threads=1)
        return np.asarray(values, dtype=float)[:, :-1]

    def feature_importance(self) -> dict[str, float]:
        gains = self.booster.feature_importance(importance_type="gain")
        return dict(zip(self.booster.feature_name(), map(float, gains), strict=True))

    def save(self, folder: Path) -> None:
        self.booster.save_model(str(folder / _FILE))

    @classmethod
    def load(cls, folder: Path) -> GbmModel:
        model = cls()
        model._booster = lgb.Booster(model_file=str(folder / _FILE))
        return model
