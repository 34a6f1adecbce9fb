"""scikit-learn RandomForest. Trained on both cores; predicts on one (`n_jobs=1`), so
inference inside the agent never competes with the event loop for threads."""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
from sklearn.ensemble import RandomForestClassifier

from ml.dataset import Samples
from ml.models.base import ModelError, Progress

_FILE = "rf.joblib"


class ForestModel:
    name = "rf"
    # 100 shallow trees: more add nothing measurable on daily data and cost inference
    # time (sklearn predicts tree by tree).

    def __init__(self, *, seed: int = 7, trees: int = 100, threads: int = 2) -> None:
        self.seed = seed
        self.trees = trees
        self.threads = threads
        self._forest: RandomForestClassifier | None = None

    def fit(self, samples: Samples, progress: Progress | None = None) -> None:
        forest = RandomForestClassifier(
            n_estimators=self.trees,
            max_depth=8,
            min_samples_leaf=50,
            max_features="sqrt",
            n_jobs=self.threads,
            random_state=self.seed,
        )
        forest.fit(samples.tabular(), samples.labels.astype(int))
        forest.n_jobs = 1
        self._forest = forest
        if progress:
            progress(f"{self.trees} trees")

    def predict_proba(self, samples: Samples) -> np.ndarray:
        if self._forest is None:
            raise ModelError("the rf model has not been trained or loaded")
        return self._forest.predict_proba(samples.tabular())[:, 1]

    def save(self, folder: Path) -> None:
        joblib.dump(self._forest, folder / _FILE)

    @classmethod
    def load(cls, folder: Path) -> ForestModel:
        # A joblib file is a pickle: only ever load runs this agent wrote itself.
        model = cls()
        model._forest = joblib.load(folder / _FILE)
        model._forest.n_jobs = 1
        return model
