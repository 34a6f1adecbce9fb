"""What taking every trade of the plan looked like over the training history — the
honest baseline every prediction is shown against — and what a probability of profit
implies for the expected R.

E[R | p] = p · (mean R of winners) + (1 − p) · (mean R of losers), both means over the
training history. At p = the base rate this is the plan's typical R, so "expected
+0.15 R (typical +0.15 R)" says plainly that the model knows nothing more than the
plan. It assumes winners and losers are as large, in R, whatever the model says: R is
already scaled by each trade's own risk, and no model here predicts the size of a win.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class PlanOutlook:
    base_rate: float
    """Share of the plan's trades that ended in profit (R > 0)."""
    typical_r: float
    """Mean R of taking every trade of the plan."""
    mean_win_r: float
    mean_loss_r: float
    trades: int

    @classmethod
    def fit(cls, r: np.ndarray) -> PlanOutlook | None:
        """From the R multiples of the training history; None without any outcome."""
        r = np.asarray(r, dtype=float)
        r = r[np.isfinite(r)]
        if r.size == 0:
            return None
        wins, losses = r[r > 0], r[r <= 0]
        return cls(
            base_rate=float(wins.size / r.size),
            typical_r=float(r.mean()),
            mean_win_r=float(wins.mean()) if wins.size else 0.0,
            mean_loss_r=float(losses.mean()) if losses.size else 0.0,
            trades=int(r.size),
        )

    def expected_r(self, p: np.ndarray) -> np.ndarray:
        p = np.asarray(p, dtype=float)
        return p * self.mean_win_r + (1.0 - p) * self.mean_loss_r

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> PlanOutlook | None:
        return cls(**data) if data else None
