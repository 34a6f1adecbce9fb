"""The ensemble's members behind one protocol (`base.Model`), and a factory by name.

The LSTM module is imported only when asked for, so TensorFlow stays out of processes
that do not use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ml.models.base import Model, ModelError
from ml.models.forest import ForestModel
from ml.models.gbm import GbmModel
from ml.models.momentum import MomentumModel

MODEL_NAMES = ("lstm", "gbm", "rf", "momentum")


def _lstm_class() -> type[Any]:
    from ml.models.lstm import LstmModel

    return LstmModel


def model_class(name: str) -> type[Any]:
    classes = {"gbm": GbmModel, "rf": ForestModel, "momentum": MomentumModel}
    if name == "lstm":
        return _lstm_class()
    if name not in classes:
        raise ModelError(f"unknown model {name!r}; models are {', '.join(MODEL_NAMES)}")
    return classes[name]


def create_models(names: Sequence[str], *, seed: int = 7) -> list[Model]:
    models: list[Model] = []
    for name in names:
        cls = model_class(name)
        models.append(cls() if name == "momentum" else cls(seed=seed))
    return models


def load_model(name: str, folder: Path) -> Model:
    return model_class(name).load(folder)
