"""Labels and samples: what the models learn from.

A sample is (symbol, bar t): the features at t and, for training, the label "did the
close `horizon` sessions after t end above the close at t". Tree models read one
feature row; the LSTM reads the `lookback` rows ending at t. Every model sees the same
samples: rows with fewer than `lookback` feature rows behind them are left out for all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.features import WARMUP_BARS, feature_matrix


def direction_labels(close: pd.Series, horizon: int = 1, dead_zone: float = 0.0) -> pd.Series:
    """1.0 when the return over `horizon` bars is above `dead_zone`, 0.0 when below
    −`dead_zone` (or flat, without a dead zone), NaN inside the dead zone and where the
    future is not known yet."""
    values = close.to_numpy(dtype=float)
    future = np.full_like(values, np.nan)
    future[:-horizon] = values[horizon:] / values[:-horizon] - 1.0
    labels = np.full_like(values, np.nan)
    labels[future > dead_zone] = 1.0
    labels[future < -dead_zone] = 0.0
    if dead_zone == 0.0:
        labels[future == 0.0] = 0.0
    return pd.Series(labels, index=close.index)


@dataclass
class Samples:
    """Samples of a pooled universe, ordered by time then symbol."""

    matrix: np.ndarray
    """All symbols' feature rows stacked (float32); rows of one symbol are contiguous."""
    index: pd.DataFrame
    """One row per sample: symbol, position (into `matrix`), timestamp, label."""
    lookback: int
    horizon: int

    @property
    def labels(self) -> np.ndarray:
        return self.index["label"].to_numpy(dtype=float)

    @property
    def timestamps(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.index["timestamp"])

    def __len__(self) -> int:
        return len(self.index)

    def subset(self, mask: np.ndarray | pd.Series) -> Samples:
        chosen = self.index[np.asarray(mask)].reset_index(drop=True)
        return Samples(self.matrix, chosen, self.lookback, self.horizon)

    def labelled(self) -> Samples:
        return self.subset(self.index["label"].notna().to_numpy())

    def latest(self) -> Samples:
        """The newest sample of each symbol (what a live cycle predicts)."""
        newest = self.index.groupby("symbol", sort=False).cumcount(ascending=False) == 0
        return self.subset(newest.to_numpy())

    def tabular(self) -> np.ndarray:
        """(n, features) rows, one per sample."""
        return self.matrix[self.index["position"].to_numpy()]

    def sequences(self) -> np.ndarray:
        """(n, lookback, features): the `lookback` rows ending at each sample's bar.
        `build_samples` only makes samples with a full window inside their own symbol."""
        positions = self.index["position"].to_numpy()[:, None]
        return self.matrix[positions + np.arange(-self.lookback + 1, 1)[None, :]]


def build_samples(
    bars: Mapping[str, pd.DataFrame],
    *,
    lookback: int = 60,
    horizon: int = 1,
    dead_zone: float = 0.0,
) -> Samples:
    """Features and labels for every symbol; the latest bars (label unknown) stay in,
    with a NaN label, so the same object serves training and prediction."""
    blocks: list[np.ndarray] = []
    symbols: list[np.ndarray] = []
    positions: list[np.ndarray] = []
    stamps: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    offset = 0
    for symbol, frame in bars.items():
        matrix = feature_matrix(frame, symbol)
        # Feature rows are the bars after the warm-up, in order: align by position.
        label = direction_labels(frame["close"], horizon, dead_zone).to_numpy()[WARMUP_BARS:]
        rows = np.arange(lookback - 1, len(matrix))
        blocks.append(matrix.astype(np.float32))
        symbols.append(np.full(len(rows), symbol, dtype=object))
        positions.append(rows + offset)
        stamps.append(frame.index.asi8[WARMUP_BARS:][rows])
        labels.append(label[rows])
        offset += len(matrix)
    if not blocks:
        raise ValueError("build_samples needs bars for at least one symbol")
    index = pd.DataFrame(
        {
            "symbol": np.concatenate(symbols),
            "position": np.concatenate(positions),
            "timestamp": pd.to_datetime(np.concatenate(stamps), utc=True),
            "label": np.concatenate(labels),
        }
    )
    index = index.sort_values(["timestamp", "symbol"], kind="stable").reset_index(drop=True)
    return Samples(np.concatenate(blocks), index, lookback, horizon)
