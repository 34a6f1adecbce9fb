"""Which trades a model "would select": those whose calibrated P(profit) clears the
plan's own base rate by a margin — never an absolute probability.

An absolute bar (say 0.80) promises what no honest model of daily stock trades
delivers; a bar relative to the base rate asks only that the model knows more than
"take every trade". The base rate is the training history's — the level the ensemble's
calibration is anchored to, so forecast and bar are on the same footing — and the
margin is fixed in advance; nothing here sees a day after the training fold.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

SELECT_MARGIN = 0.05
"""P(profit) must beat the hold-out's base rate by this much (fixed, not fit to results)."""


@dataclass(frozen=True)
class SelectionRule:
    base_rate: float
    """The plan's P(R > 0) over the training history."""
    margin: float = SELECT_MARGIN

    @property
    def threshold(self) -> float:
        return min(self.base_rate + self.margin, 1.0)

    def select(self, p: np.ndarray) -> np.ndarray:
        return np.asarray(p, dtype=float) >= self.threshold

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> SelectionRule | None:
        return cls(**data) if data else None
