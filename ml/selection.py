"""Which trades a model "would select": those whose calibrated P(profit) clears the
plan's own base rate by a margin — never an absolute probability.

An absolute bar (say 0.80) promises what no honest model of daily stock trades
delivers; a bar relative to the base rate asks only that the model knows more than
"take every trade". The base rate is the training history's — the level the ensemble's
calibration is anchored to, so forecast and bar are on the same footing — and the
margin is fixed in advance; nothing here sees a day after the training fold.

The bars a signal follows from live here too (`buy_bar`, `direction_leans`), so the
signal policy and the ensemble's reasons (`may_signal`) read one rule.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

SELECT_MARGIN = 0.05
"""P(profit) must beat the hold-out's base rate by this much (fixed, not fit to results)."""

NO_IDEA = 0.5
"""The typical of a direction prediction (and of a plan one from a run that has none)."""


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


def typical_for(target: object, base_rate: object) -> float:
    """What a probability must beat to mean anything: the plan's base rate for the plan
    target, even odds for direction (and for runs from before base rates)."""
    if target == "plan" and isinstance(base_rate, float):
        return base_rate
    return NO_IDEA


def buy_bar(
    *, base_rate: float | None, selection_threshold: float | None, min_edge: float
) -> float:
    """The P(profit) at which a plan trade is bought: the owner's `min_edge` over the
    typical, and at least the model's own selection bar (the threshold its grade was
    measured at)."""
    bar = typical_for("plan", base_rate) + min_edge
    return bar if selection_threshold is None else max(bar, selection_threshold)


def direction_leans(p: Any, min_edge: float) -> tuple[Any, Any]:
    """(up, down) for a direction probability (a float or an array): `min_edge` away
    from even odds upwards (a buy when flat) or downwards (a sell when long)."""
    up = p >= NO_IDEA + min_edge
    down = (p < NO_IDEA) & (NO_IDEA - p >= min_edge)
    return up, down


def may_signal(
    probability: np.ndarray,
    *,
    target: str | None,
    base_rate: float | None,
    selection_threshold: float | None,
    min_edge: float,
) -> np.ndarray:
    """Which predictions can become a signal, whatever is held: a plan prediction at its
    buy bar (the plan never sells on a forecast), a direction one leaning either way.
    Only these deserve reasons, which cost far more than the probabilities."""
    p = np.asarray(probability, dtype=float)
    if target == "plan":
        bar = buy_bar(
            base_rate=base_rate, selection_threshold=selection_threshold, min_edge=min_edge
        )
        return p >= bar
    up, down = direction_leans(p, min_edge)
    return np.asarray(up | down, dtype=bool)
