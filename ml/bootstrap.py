"""Block-bootstrap 95% intervals with calendar quarters as blocks.

Neighbouring samples are not independent: one market day moves every symbol, and a
20-session trade overlaps the next 19. Resampling whole calendar quarters keeps that
dependence inside each block, so the intervals are honest about how little a few
years of daily trades can prove. Each resample draws as many quarters as the record
has, with replacement; the interval is the 2.5th to 97.5th percentile.

Means (and differences of means) use per-quarter sums and are exact and fast; the AUC
uses per-sample weights (how often each sample's quarter was drawn) over one sort.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

BOOTSTRAP_SAMPLES = 1000
BOOTSTRAP_SEED = 20240912
_CHUNK = 25


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float]:
        return {"estimate": self.estimate, "low": self.low, "high": self.high}

    def __str__(self) -> str:
        return f"{self.estimate:+.4f} [{self.low:+.4f}, {self.high:+.4f}]"


def quarter_codes(timestamps: pd.DatetimeIndex) -> np.ndarray:
    """0, 1, 2 … for the calendar quarters present, in time order."""
    raw = np.asarray(timestamps.year * 4 + (timestamps.month - 1) // 3)
    _, codes = np.unique(raw, return_inverse=True)
    return codes.astype(np.int64)


class QuarterBootstrap:
    """Resamples of the calendar quarters of one record (the same draws for every
    statistic, so differences between models are paired)."""

    def __init__(
        self,
        timestamps: pd.DatetimeIndex,
        *,
        samples: int = BOOTSTRAP_SAMPLES,
        seed: int = BOOTSTRAP_SEED,
    ) -> None:
        self.blocks = quarter_codes(timestamps)
        self.n_blocks = int(self.blocks.max()) + 1 if len(self.blocks) else 0
        rng = np.random.default_rng(seed)
        draws = rng.integers(0, max(self.n_blocks, 1), size=(samples, self.n_blocks))
        # counts[b, q]: how often quarter q is in resample b.
        self.counts = np.zeros((samples, self.n_blocks), dtype=np.float64)
        rows = np.repeat(np.arange(samples), self.n_blocks)
        np.add.at(self.counts, (rows, draws.ravel()), 1.0)

    def _sums(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.blocks, weights=values, minlength=self.n_blocks)

    def mean(self, values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """The mean of `values` (where `mask`) in every resample; NaN where empty."""
        values = np.asarray(values, dtype=float)
        keep = np.ones(len(values), dtype=bool) if mask is None else np.asarray(mask, bool)
        totals = self.counts @ self._sums(np.where(keep, values, 0.0))
        counts = self.counts @ self._sums(keep.astype(float))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(counts > 0, totals / counts, np.nan)

    def auc(self, labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """ROC AUC (ties count half) in every resample."""
        order = np.argsort(scores, kind="mergesort")
        s = np.asarray(scores, dtype=float)[order]
        y = np.asarray(labels, dtype=float)[order]
        blocks = self.blocks[order]
        # Tie groups: [first, last] position of each sample's run of equal scores.
        new_group = np.concatenate(([True], s[1:] != s[:-1]))
        group = np.cumsum(new_group) - 1
        starts = np.flatnonzero(new_group)
        ends = np.concatenate((starts[1:], [len(s)])) - 1
        first, last = starts[group], ends[group]
        out = np.empty(len(self.counts))
        for begin in range(0, len(self.counts), _CHUNK):
            weights = self.counts[begin : begin + _CHUNK][:, blocks]
            negatives = weights * (1.0 - y)
            positives = weights * y
            cumulative = np.concatenate(
                (np.zeros((len(weights), 1)), np.cumsum(negatives, axis=1)), axis=1
            )
            below = cumulative[:, first]
            tied = cumulative[:, last + 1] - below
            pairs = positives.sum(axis=1) * negatives.sum(axis=1)
            wins = (positives * (below + 0.5 * tied)).sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[begin : begin + _CHUNK] = np.where(pairs > 0, wins / pairs, np.nan)
        return out


def interval(estimate: float, resampled: np.ndarray) -> Interval:
    """The percentile interval of resampled values around a point estimate."""
    finite = resampled[np.isfinite(resampled)]
    if finite.size == 0:
        return Interval(estimate, float("nan"), float("nan"))
    low, high = np.percentile(finite, [2.5, 97.5])
    return Interval(float(estimate), float(low), float(high))


def mean_interval(
    bootstrap: QuarterBootstrap, values: np.ndarray, mask: np.ndarray | None = None
) -> Interval:
    values = np.asarray(values, dtype=float)
    chosen = values if mask is None else values[np.asarray(mask, bool)]
    estimate = float(chosen.mean()) if chosen.size else float("nan")
    return interval(estimate, bootstrap.mean(values, mask))


def difference_interval(
    bootstrap: QuarterBootstrap,
    first: Callable[[QuarterBootstrap], np.ndarray],
    second: Callable[[QuarterBootstrap], np.ndarray],
    estimate: float,
) -> Interval:
    """Interval of first − second, resampled on the same quarters (paired)."""
    return interval(estimate, first(bootstrap) - second(bootstrap))
