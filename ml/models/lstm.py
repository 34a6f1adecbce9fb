"""A two-layer LSTM (64 then 32 units, dropout) in Keras 3 on TensorFlow.

TensorFlow is imported only here, and this module only when the LSTM is enabled: the
import alone takes seconds and hundreds of megabytes. Inputs are standardised with a
scaler fit on the training samples only and saved with the model. Training stops early
on a time-ordered validation tail; the newest `max_sequences` samples are used, which
keeps a retrain within minutes on two cores. Inference goes through one compiled
`tf.function`, batched over all symbols.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ml.dataset import Samples
from ml.features import FEATURE_NAMES
from ml.models.base import ModelError, Progress

_MODEL_FILE = "lstm.keras"
_SCALER_FILE = "lstm_scaler.npz"
_CONFIG_FILE = "lstm.json"
_CLIP = 5.0
_BATCH = 128


def _keras() -> Any:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    return keras


class LstmModel:
    name = "lstm"

    def __init__(
        self,
        *,
        seed: int = 7,
        epochs: int = 20,
        patience: int = 3,
        batch_size: int = 256,
        max_sequences: int = 6000,
    ) -> None:
        self.seed = seed
        self.epochs = epochs
        self.patience = patience
        self.batch_size = batch_size
        self.max_sequences = max_sequences
        self._model: Any = None
        self._infer: Any = None
        self._mean: np.ndarray | None = None
        self._scale: np.ndarray | None = None
        self.epochs_run = 0

    def _standardise(self, x: np.ndarray) -> np.ndarray:
        if self._mean is None or self._scale is None:
            raise ModelError("the lstm model has no scaler: train or load it first")
        return np.clip((x - self._mean) / self._scale, -_CLIP, _CLIP).astype(np.float32)

    def _build(self, lookback: int, features: int) -> Any:
        keras = _keras()
        keras.utils.set_random_seed(self.seed)
        model = keras.Sequential(
            [
                keras.Input((lookback, features)),
                keras.layers.LSTM(64, return_sequences=True),
                keras.layers.Dropout(0.2),
                keras.layers.LSTM(32),
                keras.layers.Dropout(0.2),
                keras.layers.Dense(1, activation="sigmoid"),
            ]
        )
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
        return model

    def fit(self, samples: Samples, progress: Progress | None = None) -> None:
        keras = _keras()
        if len(samples) > self.max_sequences:
            samples = samples.subset(np.arange(len(samples)) >= len(samples) - self.max_sequences)
        tabular = samples.tabular()
        self._mean = tabular.mean(axis=0)
        self._scale = np.where(tabular.std(axis=0) > 1e-12, tabular.std(axis=0), 1.0)
        x = self._standardise(samples.sequences())
        y = samples.labels.astype(np.float32)
        self._model = self._build(samples.lookback, len(samples.feature_names))

        class _Report(keras.callbacks.Callback):  # type: ignore[name-defined]
            def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
                if progress:
                    loss = (logs or {}).get("val_loss", float("nan"))
                    progress(f"epoch {epoch + 1} val_loss {loss:.4f}")

        stop = keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=self.patience, restore_best_weights=True
        )
        # validation_split takes the last 10% before shuffling: the newest samples.
        history = self._model.fit(
            x,
            y,
            batch_size=self.batch_size,
            epochs=self.epochs,
            validation_split=0.1,
            shuffle=True,
            callbacks=[stop, _Report()],
            verbose=0,
        )
        self.epochs_run = len(history.history.get("loss", []))
        self._compile_inference(samples.lookback, len(samples.feature_names))

    def _compile_inference(self, lookback: int, features: int) -> None:
        import tensorflow as tf

        model = self._model
        self._infer = tf.function(
            lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec([None, lookback, features], tf.float32)],
            reduce_retracing=True,
        )

    def predict_proba(self, samples: Samples) -> np.ndarray:
        if self._infer is None:
            raise ModelError("the lstm model has not been trained or loaded")
        if len(samples) == 0:
            return np.empty(0)
        x = self._standardise(samples.sequences())
        # Fixed-size, zero-padded batches: the kernels TensorFlow picks depend on the
        # batch size, and so do the last bits of the result. With one shape, a sample's
        # probability is the same whether it is predicted alone or among thousands.
        out = np.empty(len(x))
        for start in range(0, len(x), _BATCH):
            chunk = x[start : start + _BATCH]
            padded = np.zeros((_BATCH, *x.shape[1:]), dtype=np.float32)
            padded[: len(chunk)] = chunk
            out[start : start + len(chunk)] = np.asarray(self._infer(padded))[: len(chunk), 0]
        return out

    def save(self, folder: Path) -> None:
        if self._model is None or self._mean is None or self._scale is None:
            raise ModelError("the lstm model has not been trained")
        self._model.save(folder / _MODEL_FILE)
        np.savez(folder / _SCALER_FILE, mean=self._mean, scale=self._scale)
        _, lookback, features = self._model.input_shape
        config = {"lookback": int(lookback), "features": int(features), "seed": self.seed}
        (folder / _CONFIG_FILE).write_text(json.dumps(config))

    @classmethod
    def load(cls, folder: Path) -> LstmModel:
        keras = _keras()
        config = json.loads((folder / _CONFIG_FILE).read_text())
        model = cls(seed=config["seed"])
        model._model = keras.models.load_model(folder / _MODEL_FILE, compile=False)
        scaler = np.load(folder / _SCALER_FILE)
        model._mean, model._scale = scaler["mean"], scaler["scale"]
        # Runs saved before the market context existed had the stock's own features only.
        features = config.get("features", len(FEATURE_NAMES))
        model._compile_inference(config["lookback"], features)
        return model
