"""Earned autonomy: one grading function decides whether a model has proven an edge
over taking every trade of the same plan, on its walk-forward out-of-sample record.

A model is *proven* only when every criterion holds:

a. its Brier score beats the base rate's, the 95% block-bootstrap interval of the
   difference excluding zero;
b. the lower bound of its AUC interval is above 0.50;
c. its calibration error (ECE) is at most the base rate's + 0.01;
d. the trades it would select have a higher mean R than taking every trade, the lower
   bound of the difference's interval above zero;
e. at least 300 selected trades, with a positive mean R in at least 60% of the years
   it traded and within every symbol it traded at least 20 times;
f. its selected trades do no worse in the bad cases than all trades: the mean R of
   their worst 5% (expected shortfall) is not below that of all trades.

Intervals: calendar-quarter block bootstrap (`ml.bootstrap`). "Would select" is the
model's own rule, fit on each fold's purged hold-out (`ml.selection`). Until a model is
proven, every signal asks the owner, and the grade's explanations say why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ml.bootstrap import QuarterBootstrap, interval, mean_interval
from ml.evaluation import expected_calibration_error, roc_auc

MIN_SELECTED_TRADES = 300
MIN_POSITIVE_YEAR_SHARE = 0.60
MIN_SYMBOL_TRADES = 20
"""A symbol's selected trades are judged from this many on (fewer say nothing)."""
ECE_TOLERANCE = 0.01
AUC_FLOOR = 0.50
SHORTFALL_SHARE = 0.05


@dataclass(frozen=True)
class TradeRecord:
    """What grading reads: one row per out-of-sample candidate trade."""

    labels: np.ndarray
    """1 where the trade ended in profit (the target), else 0."""
    probability: np.ndarray
    """The model's calibrated probability of the label."""
    base_rate: np.ndarray
    """The base-rate forecast for the same row (its fold's training share of profits)."""
    r: np.ndarray
    """The trade's R multiple (NaN for targets without one)."""
    selected: np.ndarray
    """Whether the model would have taken the trade."""
    timestamps: pd.DatetimeIndex
    symbols: np.ndarray


@dataclass(frozen=True)
class Criterion:
    key: str
    name: str
    value: float | None
    threshold: str
    passed: bool
    explanation: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "threshold": self.threshold,
            "passed": self.passed,
            "explanation": self.explanation,
            **({"detail": self.detail} if self.detail else {}),
        }


@dataclass(frozen=True)
class Grade:
    proven: bool
    criteria: tuple[Criterion, ...]

    @property
    def summary(self) -> str:
        if self.proven:
            return "PROVEN: it beat taking every trade of the plan on every criterion"
        failed = ", ".join(f"{c.key} ({c.name})" for c in self.criteria if not c.passed)
        return f"NOT PROVEN: fails {failed}; every signal asks"

    def to_dict(self) -> dict[str, Any]:
        return {
            "proven": self.proven,
            "summary": self.summary,
            "criteria": {c.key: c.to_dict() for c in self.criteria},
        }


def _brier(labels: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((p - labels) ** 2))


def _brier_criterion(record: TradeRecord, bootstrap: QuarterBootstrap) -> Criterion:
    gain = (record.base_rate - record.labels) ** 2 - (record.probability - record.labels) ** 2
    ci = mean_interval(bootstrap, gain)
    passed = bool(ci.low > 0)
    verdict = "beat" if passed else "do not beat"
    return Criterion(
        "a",
        "Brier vs base rate",
        ci.estimate,
        "95% interval of (base rate's Brier − model's) above 0",
        passed,
        f"its probabilities {verdict} the base rate: Brier "
        f"{_brier(record.labels, record.probability):.4f} vs "
        f"{_brier(record.labels, record.base_rate):.4f}, gain {ci}",
        {"interval": ci.to_dict()},
    )


def _auc_criterion(record: TradeRecord, bootstrap: QuarterBootstrap) -> Criterion:
    estimate = roc_auc(record.labels, record.probability)
    ci = interval(
        estimate if estimate is not None else float("nan"),
        bootstrap.auc(record.labels, record.probability),
    )
    passed = bool(ci.low > AUC_FLOOR)
    verdict = (
        "ranks trades better than chance" if passed else "may rank trades no better than chance"
    )
    return Criterion(
        "b",
        "AUC",
        estimate,
        f"95% interval's lower bound above {AUC_FLOOR:.2f}",
        passed,
        f"it {verdict}: AUC {ci.estimate:.3f} [{ci.low:.3f}, {ci.high:.3f}]",
        {"interval": ci.to_dict()},
    )


def _ece_criterion(record: TradeRecord) -> Criterion:
    model = expected_calibration_error(record.labels, record.probability)
    base = expected_calibration_error(record.labels, record.base_rate)
    limit = base + ECE_TOLERANCE
    passed = bool(model <= limit)
    verdict = "as well calibrated as" if passed else "worse calibrated than"
    return Criterion(
        "c",
        "calibration (ECE)",
        model,
        f"≤ base rate's ECE + {ECE_TOLERANCE} = {limit:.4f}",
        passed,
        f"its stated probabilities are {verdict} the base rate's: ECE {model:.4f} vs {base:.4f}",
    )


def _edge_criterion(record: TradeRecord, bootstrap: QuarterBootstrap) -> Criterion:
    selected = record.selected
    if not selected.any():
        return Criterion(
            "d",
            "selected R vs all trades",
            None,
            "95% interval of (mean R selected − mean R all) above 0",
            False,
            "it would have selected no trade, so it has shown no edge",
        )
    estimate = float(record.r[selected].mean() - record.r.mean())
    resampled = bootstrap.mean(record.r, selected) - bootstrap.mean(record.r)
    ci = interval(estimate, resampled)
    passed = bool(ci.low > 0)
    verdict = "better" if passed else "not reliably better"
    return Criterion(
        "d",
        "selected R vs all trades",
        estimate,
        "95% interval of (mean R selected − mean R all) above 0",
        passed,
        f"its trades were {verdict} than taking every trade: mean R "
        f"{record.r[selected].mean():+.3f} vs {record.r.mean():+.3f}, difference {ci}",
        {"interval": ci.to_dict()},
    )


def _positive_share(r: np.ndarray, groups: np.ndarray) -> dict[str, tuple[int, float]]:
    frame = pd.DataFrame({"group": groups, "r": r})
    stats = frame.groupby("group")["r"].agg(["count", "mean"])
    return {str(k): (int(row["count"]), float(row["mean"])) for k, row in stats.iterrows()}


def _robustness_criterion(record: TradeRecord) -> Criterion:
    chosen = record.selected
    n = int(chosen.sum())
    years = _positive_share(record.r[chosen], np.asarray(record.timestamps.year)[chosen])
    symbols = _positive_share(record.r[chosen], record.symbols[chosen])
    share = sum(mean > 0 for _, mean in years.values()) / len(years) if years else 0.0
    judged = {s: mean for s, (count, mean) in symbols.items() if count >= MIN_SYMBOL_TRADES}
    losing = sorted(s for s, mean in judged.items() if mean <= 0)
    problems = []
    if n < MIN_SELECTED_TRADES:
        problems.append(f"only {n} selected trades (needs {MIN_SELECTED_TRADES})")
    if share < MIN_POSITIVE_YEAR_SHARE:
        problems.append(
            f"positive in {share:.0%} of its years (needs {MIN_POSITIVE_YEAR_SHARE:.0%})"
        )
    if losing:
        problems.append(f"negative mean R in {', '.join(losing)}")
    if not judged and n:
        problems.append(f"no symbol with {MIN_SYMBOL_TRADES}+ selected trades to judge")
    passed = not problems
    explanation = (
        f"{n} selected trades, positive in {share:.0%} of years and in every symbol judged"
        if passed
        else "not robust: " + "; ".join(problems)
    )
    return Criterion(
        "e",
        "enough trades, positive across years and symbols",
        float(n),
        f"≥ {MIN_SELECTED_TRADES} trades, positive in ≥ {MIN_POSITIVE_YEAR_SHARE:.0%} of years "
        f"and in every symbol with ≥ {MIN_SYMBOL_TRADES} trades",
        passed,
        explanation,
        {
            "positive_year_share": share,
            "years": {k: {"trades": c, "mean_r": m} for k, (c, m) in years.items()},
            "symbols": {k: {"trades": c, "mean_r": m} for k, (c, m) in symbols.items()},
        },
    )


def expected_shortfall(r: np.ndarray, share: float = SHORTFALL_SHARE) -> float:
    """Mean of the worst `share` of outcomes (at least one)."""
    ordered = np.sort(np.asarray(r, dtype=float))
    count = max(1, int(np.ceil(share * len(ordered))))
    return float(ordered[:count].mean()) if len(ordered) else float("nan")


def _downside_criterion(record: TradeRecord) -> Criterion:
    chosen = record.r[record.selected]
    if chosen.size == 0:
        return Criterion(
            "f",
            "downside vs all trades",
            None,
            "worst-5% mean R of selected ≥ that of all trades",
            False,
            "it would have selected no trade",
        )
    mine, everyone = expected_shortfall(chosen), expected_shortfall(record.r)
    passed = bool(mine >= everyone)
    verdict = "no worse than" if passed else "worse than"
    return Criterion(
        "f",
        "downside vs all trades",
        mine - everyone,
        "worst-5% mean R of selected − that of all trades ≥ 0",
        passed,
        f"its worst trades were {verdict} the plan's worst: worst-5% mean R "
        f"{mine:+.2f} vs {everyone:+.2f}",
    )


def _not_applicable(key: str, name: str) -> Criterion:
    return Criterion(
        key,
        name,
        None,
        "needs the plan target's R",
        False,
        "not applicable: only a model of the plan's trades can show an edge in R",
    )


def grade(record: TradeRecord, bootstrap: QuarterBootstrap | None = None) -> Grade:
    """Grade a model on its out-of-sample record (the one function that decides)."""
    bootstrap = bootstrap or QuarterBootstrap(record.timestamps)
    criteria = [
        _brier_criterion(record, bootstrap),
        _auc_criterion(record, bootstrap),
        _ece_criterion(record),
    ]
    if np.isfinite(record.r).all() and len(record.r):
        criteria += [
            _edge_criterion(record, bootstrap),
            _robustness_criterion(record),
            _downside_criterion(record),
        ]
    else:
        criteria += [
            _not_applicable("d", "selected R vs all trades"),
            _not_applicable("e", "enough trades, positive across years and symbols"),
            _not_applicable("f", "downside vs all trades"),
        ]
    return Grade(all(c.passed for c in criteria), tuple(criteria))
