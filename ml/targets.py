"""What a sample's label means: the plan's outcome, next-day direction (a diagnostic)
or future volatility (the positive control). One protocol, so samples, splits and
evaluation treat them alike; the horizon is what splits purge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
import pandas as pd

from ml.labels import PlanRules, direction_labels, future_volatility_labels, plan_outcomes

TargetName = Literal["plan", "direction", "volatility"]


class Target(Protocol):
    @property
    def name(self) -> TargetName: ...

    @property
    def horizon(self) -> int:
        """Sessions after the signal bar the label depends on (purged from training)."""
        ...

    def outcomes(self, bars: pd.DataFrame, first: int) -> tuple[np.ndarray, np.ndarray]:
        """(label, r) per bar of `bars`: label 1.0/0.0/NaN, r the trade's R multiple or
        NaN when the target has none. Rows before `first` may be left NaN."""
        ...


@dataclass(frozen=True)
class PlanTarget:
    """Will the plan's trade signalled at this bar end in profit (R > 0)?"""

    rules: PlanRules = field(default_factory=PlanRules)
    name: TargetName = "plan"

    @property
    def horizon(self) -> int:
        return self.rules.horizon

    def outcomes(self, bars: pd.DataFrame, first: int) -> tuple[np.ndarray, np.ndarray]:
        r = plan_outcomes(bars, self.rules, first=first).r
        label = np.where(np.isnan(r), np.nan, (r > 0).astype(float))
        return label, r


@dataclass(frozen=True)
class DirectionTarget:
    """Will the close `horizon` sessions ahead be higher? A diagnostic, not the plan."""

    horizon: int = 1
    dead_zone: float = 0.0
    name: TargetName = "direction"

    def outcomes(self, bars: pd.DataFrame, first: int) -> tuple[np.ndarray, np.ndarray]:
        label = direction_labels(bars["close"], self.horizon, self.dead_zone).to_numpy()
        return label, np.full(len(bars), np.nan)


@dataclass(frozen=True)
class VolatilityTarget:
    """Will the next `window` sessions be more volatile than usual? The positive control."""

    window: int = 20
    name: TargetName = "volatility"

    @property
    def horizon(self) -> int:
        return self.window

    def outcomes(self, bars: pd.DataFrame, first: int) -> tuple[np.ndarray, np.ndarray]:
        label = future_volatility_labels(bars["close"], self.window).to_numpy()
        return label, np.full(len(bars), np.nan)
