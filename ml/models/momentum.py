"""A rule, not a fit: trend and RSI turned into a probability of "up".

trend = tanh(½·logret_20 / (rv_20·√20) + ½·close_sma_50 / (rv_20·√50)), a risk-scaled
20-day return and distance from the 50-day average; rsi = rsi_14 − ½.
p(up) = 0.5 + 0.10·trend + 0.10·rsi, clipped to [0.05, 0.95]. The ensemble calibrates
it like any other member, so only its ordering matters. It doubles as the momentum
baseline in evaluation.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ml.dataset import Samples
from ml.models.base import Progress

_FILE = "momentum.json"


class MomentumModel:
    name = "momentum"

    def __init__(self, *, trend_weight: float = 0.10, rsi_weight: float = 0.10) -> None:
        self.trend_weight = trend_weight
        self.rsi_weight = rsi_weight

    def fit(self, samples: Samples, progress: Progress | None = None) -> None:
        """Nothing to learn."""

    def predict_proba(self, samples: Samples) -> np.ndarray:
        vol = np.maximum(samples.column("rv_20").astype(float), 1e-4)
        trend = np.tanh(
            0.5 * samples.column("logret_20") / (vol * math.sqrt(20))
            + 0.5 * samples.column("close_sma_50") / (vol * math.sqrt(50))
        )
        rsi = samples.column("rsi_14").astype(float) - 0.5
        return np.clip(0.5 + self.trend_weight * trend + self.rsi_weight * rsi, 0.05, 0.95)

    def save(self, folder: Path) -> None:
        (folder / _FILE).write_text(
            json.dumps({"trend_weight": self.trend_weight, "rsi_weight": self.rsi_weight})
        )

    @classmethod
    def load(cls, folder: Path) -> MomentumModel:
        return cls(**json.loads((folder / _FILE).read_text()))
