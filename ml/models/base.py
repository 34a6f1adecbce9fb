"""The model protocol every ensemble member follows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from ml.dataset import Samples

Progress = Callable[[str], None]
"""Called with a short status text as training advances (epochs, trees)."""


class ModelError(RuntimeError):
    """A model cannot be trained, saved or loaded; the run fails with this message and
    the current model stays in use."""


class Model(Protocol):
    name: str

    def fit(self, samples: Samples, progress: Progress | None = None) -> None:
        """Learn from labelled `samples` (ordered by time)."""
        ...

    def predict_proba(self, samples: Samples) -> np.ndarray:
        """Uncalibrated probability of "up" for each sample."""
        ...

    def save(self, folder: Path) -> None: ...

    @classmethod
    def load(cls, folder: Path) -> Model: ...
