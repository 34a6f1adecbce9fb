"""Controls: proof that the evaluation can find a signal that is there and does not
find one that is not.

- positive control: a label the features must predict — whether the next 20 sessions
  are more volatile than the symbol's median so far (volatility clusters). Passes when
  the AUC is at least `POSITIVE_FLOOR` and its 95% interval lies above 0.5.
- negative controls: the plan's labels shuffled across samples, and the plan on a
  simulated random walk (predictability 0). Pass when the AUC's interval contains 0.5
  and the grade is not proven.

A pipeline that leaks the future fails the negative controls; one that cannot learn
fails the positive one. Both use the same samples, splits and models as the run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from core.data.simulated import SimulatedMarket
from ml.bootstrap import Interval, QuarterBootstrap, interval
from ml.dataset import Samples, build_samples
from ml.evaluation import roc_auc
from ml.grading import Grade, grade
from ml.targets import Target, VolatilityTarget
from ml.walk_forward import ENSEMBLE, YEARLY, WalkForwardConfig, walk_forward_run

POSITIVE_FLOOR = 0.55
"""The positive control's AUC must reach this ("well above 0.5"), its interval above 0.5."""
CONTROL_MODELS = ("gbm",)
"""The controls test the pipeline, not the ensemble: one fast model suffices."""

OnFold = Callable[[Any], None]


@dataclass(frozen=True)
class ControlResult:
    name: str
    description: str
    expectation: str
    auc: Interval
    passed: bool
    samples: int
    grade: Grade | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "expectation": self.expectation,
            "auc": self.auc.to_dict(),
            "passed": self.passed,
            "samples": self.samples,
            "grade": self.grade.to_dict() if self.grade else None,
        }


def _auc_interval(
    samples: Samples,
    models: Sequence[str],
    config: WalkForwardConfig,
    seed: int,
    on_fold: OnFold | None,
) -> tuple[Interval, Grade, int]:
    record = walk_forward_run(samples, models, config=config, seed=seed, on_fold=on_fold)
    p = record.probabilities[ENSEMBLE]
    bootstrap = QuarterBootstrap(record.timestamps)
    estimate = roc_auc(record.labels, p)
    auc = interval(
        estimate if estimate is not None else float("nan"), bootstrap.auc(record.labels, p)
    )
    return auc, grade(record.trade_record(ENSEMBLE), bootstrap), len(record.index)


def positive_control(
    bars: Mapping[str, pd.DataFrame],
    *,
    context: pd.DataFrame | None = None,
    context_features: bool = False,
    lookback: int = 60,
    models: Sequence[str] = CONTROL_MODELS,
    config: WalkForwardConfig = YEARLY,
    seed: int = 7,
    on_fold: OnFold | None = None,
) -> ControlResult:
    samples = build_samples(
        bars,
        lookback=lookback,
        target=VolatilityTarget(),
        context=context,
        context_features=context_features,
    )
    auc, _, n = _auc_interval(samples, models, config, seed, on_fold)
    return ControlResult(
        "positive: future volatility",
        "next 20 sessions' realised volatility above its median so far (volatility clusters)",
        f"must be found: AUC ≥ {POSITIVE_FLOOR}, interval above 0.5",
        auc,
        bool(auc.estimate >= POSITIVE_FLOOR and auc.low > 0.5),
        n,
    )


def _within_chance(auc: Interval, verdict: Grade) -> bool:
    return bool(auc.low <= 0.5 <= auc.high) and not verdict.proven


def shuffled_control(
    samples: Samples,
    *,
    models: Sequence[str] = CONTROL_MODELS,
    config: WalkForwardConfig = YEARLY,
    seed: int = 7,
    on_fold: OnFold | None = None,
) -> ControlResult:
    """The same samples with their outcomes (label and R together) shuffled."""
    labelled = samples.labelled()
    order = np.random.default_rng(seed).permutation(len(labelled))
    shuffled = labelled.with_labels(labelled.labels[order], labelled.r[order])
    auc, verdict, n = _auc_interval(shuffled, models, config, seed, on_fold)
    return ControlResult(
        "negative: shuffled labels",
        "the plan's outcomes shuffled across samples: nothing left to learn",
        "must stay within chance: AUC interval contains 0.5, not proven",
        auc,
        _within_chance(auc, verdict),
        n,
        verdict,
    )


def random_walk_control(
    symbols: int,
    start: datetime,
    end: datetime,
    *,
    target: Target,
    context_features: bool = False,
    lookback: int = 60,
    models: Sequence[str] = CONTROL_MODELS,
    config: WalkForwardConfig = YEARLY,
    seed: int = 7,
    on_fold: OnFold | None = None,
) -> ControlResult:
    """The plan on a simulated random walk (predictability 0), as many symbols over the
    same dates as the run (from 2000, where the simulation starts)."""
    market = SimulatedMarket(seed=seed, predictability=0.0)
    start = max(start, datetime(2000, 1, 3, tzinfo=UTC))
    names = [f"RW{i}" for i in range(symbols)]
    bars = market.get_bars([*names, "SPY"], start, end)
    market_bars = bars.pop("SPY")
    samples = build_samples(
        bars,
        lookback=lookback,
        target=target,
        context=market_bars,
        context_features=context_features,
    )
    auc, verdict, n = _auc_interval(samples, models, config, seed, on_fold)
    return ControlResult(
        "negative: random walk",
        f"the plan on {symbols} simulated random walks (predictability 0)",
        "must stay within chance: AUC interval contains 0.5, not proven",
        auc,
        _within_chance(auc, verdict),
        n,
        verdict,
    )
