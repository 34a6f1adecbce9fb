"""Samples: what the models learn from and predict on.

A sample is (symbol, bar t): the features at t and, for training, the target's label at
t — by default whether the plan's trade signalled at t ends in profit (`ml.targets`).
Tree models read one feature row; the LSTM reads the `lookback` rows ending at t. Every
model sees the same samples: rows with fewer than `lookback` feature rows behind them
are left out for all. With a market `context` (SPY's bars) the rows also carry the
context features (`ml.context`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.context import context_matrix, market_figures, market_trend
from ml.features import WARMUP_BARS, feature_matrix, feature_names
from ml.labels import direction_labels
from ml.targets import DirectionTarget, Target, TargetName

__all__ = ["SampleError", "Samples", "build_samples", "direction_labels", "utc_nanoseconds"]


class SampleError(ValueError):
    """Bars cannot be turned into samples (an index that is not a date index, …)."""


@dataclass
class Samples:
    """Samples of a pooled universe, ordered by time then symbol."""

    matrix: np.ndarray
    """All symbols' feature rows stacked (float32); rows of one symbol are contiguous."""
    index: pd.DataFrame
    """One row per sample: symbol, position (into `matrix`), timestamp, label, r and
    market_trend (SPY over its 200-day mean − 1; NaN without a context)."""
    lookback: int
    horizon: int
    """Sessions after t the label depends on: what splits purge."""
    feature_names: tuple[str, ...]
    target: TargetName = "direction"

    @property
    def labels(self) -> np.ndarray:
        return self.index["label"].to_numpy(dtype=float)

    @property
    def r(self) -> np.ndarray:
        """The plan's R multiple per sample (NaN for other targets and unknown outcomes)."""
        return self.index["r"].to_numpy(dtype=float)

    @property
    def symbols(self) -> np.ndarray:
        return self.index["symbol"].to_numpy(dtype=object)

    @property
    def timestamps(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.index["timestamp"])

    @property
    def has_context(self) -> bool:
        return len(self.feature_names) > len(feature_names(context=False))

    def __len__(self) -> int:
        return len(self.index)

    def subset(self, mask: np.ndarray | pd.Series) -> Samples:
        chosen = self.index[np.asarray(mask)].reset_index(drop=True)
        return Samples(
            self.matrix, chosen, self.lookback, self.horizon, self.feature_names, self.target
        )

    def with_labels(self, label: np.ndarray, r: np.ndarray | None = None) -> Samples:
        """The same samples with other labels (shuffled for the negative control)."""
        index = self.index.copy()
        index["label"] = np.asarray(label, dtype=float)
        if r is not None:
            index["r"] = np.asarray(r, dtype=float)
        return Samples(
            self.matrix, index, self.lookback, self.horizon, self.feature_names, self.target
        )

    def labelled(self) -> Samples:
        return self.subset(self.index["label"].notna().to_numpy())

    def latest(self) -> Samples:
        """The newest sample of each symbol (what a live cycle predicts)."""
        newest = self.index.groupby("symbol", sort=False).cumcount(ascending=False) == 0
        return self.subset(newest.to_numpy())

    def tabular(self) -> np.ndarray:
        """(n, features) rows, one per sample."""
        return self.matrix[self.index["position"].to_numpy()]

    def column(self, name: str) -> np.ndarray:
        """One feature's values per sample."""
        return self.tabular_column(self.feature_names.index(name))

    def tabular_column(self, column: int) -> np.ndarray:
        return self.matrix[self.index["position"].to_numpy(), column]

    def sequences(self) -> np.ndarray:
        """(n, lookback, features): the `lookback` rows ending at each sample's bar.
        `build_samples` only makes samples with a full window inside their own symbol."""
        positions = self.index["position"].to_numpy()[:, None]
        return self.matrix[positions + np.arange(-self.lookback + 1, 1)[None, :]]


def utc_nanoseconds(index: pd.Index, symbol: str = "?") -> pd.DatetimeIndex:
    """The index as UTC timestamps in nanoseconds, whatever unit or zone it came in.
    Frames that bypass the providers' normaliser (seconds, a local zone, naive dates)
    would otherwise be read as nanoseconds since 1970."""
    if not isinstance(index, pd.DatetimeIndex):
        raise SampleError(
            f"{symbol}: bars need a DatetimeIndex of sessions, not {type(index).__name__}"
        )
    stamps = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    return stamps.as_unit("ns")


def _normalised(frame: pd.DataFrame, symbol: str) -> pd.DataFrame:
    stamps = utc_nanoseconds(frame.index, symbol)
    if frame.index.dtype == stamps.dtype:
        return frame  # already nanoseconds in UTC: no copy
    return frame.set_axis(stamps, axis=0)


def build_samples(
    bars: Mapping[str, pd.DataFrame],
    *,
    lookback: int = 60,
    target: Target | None = None,
    context: pd.DataFrame | None = None,
    context_features: bool = True,
    horizon: int = 1,
    dead_zone: float = 0.0,
) -> Samples:
    """Features and labels for every symbol; the latest bars (label unknown) stay in,
    with a NaN label, so the same object serves training and prediction.

    `target` defaults to next-`horizon` direction (what callers that predate the plan
    target ask for); pass `PlanTarget(PlanRules.from_config(...))` for the plan.
    `context`: SPY's daily bars covering every session of every symbol, or None; with
    `context_features` False it only feeds the index's market trend (for baselines)."""
    target = target or DirectionTarget(horizon=horizon, dead_zone=dead_zone)
    market = market_figures(_normalised(context, "context")) if context is not None else None
    blocks: list[np.ndarray] = []
    symbols: list[np.ndarray] = []
    positions: list[np.ndarray] = []
    stamps: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    outcomes: list[np.ndarray] = []
    trends: list[np.ndarray] = []
    offset = 0
    for symbol, raw in bars.items():
        frame = _normalised(raw, symbol)
        matrix = feature_matrix(frame, symbol)
        trend = np.full(len(frame), np.nan)
        if market is not None:
            trend = market_trend(frame, market, symbol)
            if context_features:
                matrix = np.hstack([matrix, context_matrix(frame, market, symbol)])
        rows = np.arange(lookback - 1, len(matrix))
        # Feature rows are the bars after the warm-up, in order: align by position.
        label, r = target.outcomes(frame, WARMUP_BARS + lookback - 1)
        blocks.append(matrix.astype(np.float32))
        symbols.append(np.full(len(rows), symbol, dtype=object))
        positions.append(rows + offset)
        stamps.append(pd.DatetimeIndex(frame.index).asi8[WARMUP_BARS:][rows])
        labels.append(label[WARMUP_BARS:][rows])
        outcomes.append(r[WARMUP_BARS:][rows])
        trends.append(trend[WARMUP_BARS:][rows])
        offset += len(matrix)
    if not blocks:
        raise ValueError("build_samples needs bars for at least one symbol")
    index = pd.DataFrame(
        {
            "symbol": np.concatenate(symbols),
            "position": np.concatenate(positions),
            "timestamp": pd.to_datetime(np.concatenate(stamps), utc=True),
            "label": np.concatenate(labels),
            "r": np.concatenate(outcomes),
            "market_trend": np.concatenate(trends),
        }
    )
    index = index.sort_values(["timestamp", "symbol"], kind="stable").reset_index(drop=True)
    return Samples(
        np.concatenate(blocks),
        index,
        lookback,
        target.horizon,
        feature_names(context=market is not None and context_features),
        target.name,
    )
