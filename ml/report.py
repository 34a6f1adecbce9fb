"""The evaluation report: every figure of a walk-forward record, out of sample, beside
the baselines, with calendar-quarter block-bootstrap 95% intervals, per symbol and per
year, and each model's grade.

Models (the ensemble and each member) are scored as probabilities (AUC, Brier, log
loss, ECE against the base rate and the calibrated momentum score) and, for the plan
target, as the trades they would select (mean R against taking every trade, date-
matched random entries with the same exits, the momentum rule and the trend filter).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ml.bootstrap import Interval, QuarterBootstrap, interval, mean_interval
from ml.evaluation import (
    classification_metrics,
    grouped_trades,
    r_by_decile,
    reliability_bins,
    top_features,
    trade_summary,
)
from ml.grading import Grade, grade
from ml.walk_forward import (
    BASE_RATE,
    ENSEMBLE,
    MOMENTUM_BASELINE,
    OosRecord,
    date_matched_random,
)

RANDOM_DRAWS = 200
"""Date-matched random selections drawn to show what chance alone earns."""
_KEEP = ("accuracy", "auc", "brier", "log_loss", "ece", "n")


@dataclass
class EvaluationReport:
    record: OosRecord
    metrics: dict[str, dict[str, Any]]
    """Probability figures per model and probability baseline."""
    intervals: dict[str, dict[str, Interval]]
    """Per model and probability baseline: AUC and Brier gain over the base rate."""
    trades: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per selection (models and baseline rules): what its trades earned, in R."""
    random_draws: dict[str, float] = field(default_factory=dict)
    grades: dict[str, Grade] = field(default_factory=dict)
    by_year: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_symbol: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def models(self) -> list[str]:
        """Graded models: the members, then the ensemble."""
        return [*self.record.models, ENSEMBLE]

    def metrics_json(self) -> dict[str, dict[str, Any]]:
        """The compact figures a manifest keeps (`oos_metrics`)."""
        out = {name: {k: m[k] for k in _KEEP} for name, m in self.metrics.items()}
        if BASE_RATE in out:
            out["always_up"] = out[BASE_RATE]  # the old name, still read by bot and webui
        return out

    def to_json(self) -> dict[str, Any]:
        record = self.record
        probabilities = record.probabilities
        return {
            "target": record.target,
            "horizon": record.horizon,
            "samples": len(record.index),
            "symbols": sorted(set(record.symbols)),
            "folds": [fold.as_dict() for fold in record.folds],
            "fold_rules": record.fold_rules,
            "metrics": self.metrics_json(),
            "intervals": {
                name: {k: v.to_dict() for k, v in values.items()}
                for name, values in self.intervals.items()
            },
            "trades": self.trades,
            "random_draws": self.random_draws,
            "grades": {name: g.to_dict() for name, g in self.grades.items()},
            "by_year": self.by_year,
            "by_symbol": self.by_symbol,
            "reliability": {
                name: reliability_bins(record.labels, p) for name, p in probabilities.items()
            },
            "r_by_decile": self.r_by_decile() if record.has_r else {},
            "feature_importance": dict(top_features(record.importance, 50)),
        }

    def r_by_decile(self) -> dict[str, list[dict[str, float]]]:
        p = self.record.probabilities
        return {name: r_by_decile(p[name], self.record.r) for name in self.models}

    def r_by_year(self) -> dict[str, dict[str, float | None]]:
        """Mean R of each selection's trades per year (what the R-by-year plot draws)."""
        return {
            name: {year: rows["selected"]["mean_r"] for year, rows in years.items()}
            for name, years in self.by_year.get("trades", {}).items()
        }


def _probability_intervals(
    record: OosRecord, name: str, bootstrap: QuarterBootstrap
) -> dict[str, Interval]:
    y, p, base = record.labels, record.probabilities[name], record.probabilities[BASE_RATE]
    gain = (base - y) ** 2 - (p - y) ** 2
    auc = classification_metrics(y, p)["auc"]
    return {
        "auc": interval(float(auc) if auc is not None else float("nan"), bootstrap.auc(y, p)),
        "brier_gain": mean_interval(bootstrap, gain),
    }


def _trade_figures(
    record: OosRecord, selected: np.ndarray, bootstrap: QuarterBootstrap
) -> dict[str, Any]:
    r = record.r
    out: dict[str, Any] = trade_summary(r[selected])
    out["share_selected"] = float(selected.mean()) if len(selected) else 0.0
    if selected.any():
        out["mean_r_interval"] = mean_interval(bootstrap, r, selected).to_dict()
        difference = float(r[selected].mean() - r.mean())
        out["vs_all_trades"] = interval(
            difference, bootstrap.mean(r, selected) - bootstrap.mean(r)
        ).to_dict()
    return out


def _random_draws(record: OosRecord, draws: int, seed: int) -> dict[str, float]:
    """What date-matched chance earns over many draws, and where the ensemble falls."""
    chosen = record.selections[ENSEMBLE]
    if not chosen.any():
        return {}
    rng = np.random.default_rng(seed)
    stamps, r = record.timestamps, record.r
    means = np.array([r[date_matched_random(stamps, chosen, rng)].mean() for _ in range(draws)])
    model = float(r[chosen].mean())
    low, median, high = np.percentile(means, [2.5, 50, 97.5])
    return {
        "draws": draws,
        "median_mean_r": float(median),
        "low": float(low),
        "high": float(high),
        "ensemble_mean_r": model,
        "ensemble_percentile": float((means < model).mean()),
    }


def _by_group(record: OosRecord, groups: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = {"probability": {}}
    for key in sorted(set(groups.astype(str))):
        rows = groups.astype(str) == key
        out["probability"][key] = {
            name: {
                k: v
                for k, v in classification_metrics(
                    record.labels[rows], record.probabilities[name][rows]
                ).items()
                if k in ("auc", "brier", "n")
            }
            for name in (ENSEMBLE, BASE_RATE)
        }
    if record.has_r:
        out["trades"] = {
            name: grouped_trades(record.r, mask, groups) for name, mask in record.selections.items()
        }
    return out


def build_report(
    record: OosRecord,
    *,
    bootstrap_samples: int = 1000,
    random_draws: int = RANDOM_DRAWS,
    seed: int = 7,
) -> EvaluationReport:
    bootstrap = QuarterBootstrap(record.timestamps, samples=bootstrap_samples)
    y = record.labels
    metrics = {name: classification_metrics(y, p) for name, p in record.probabilities.items()}
    compared = [*record.models, ENSEMBLE, MOMENTUM_BASELINE]
    intervals = {name: _probability_intervals(record, name, bootstrap) for name in compared}
    report = EvaluationReport(record, metrics, intervals)
    report.grades = {name: grade(record.trade_record(name), bootstrap) for name in report.models}
    report.by_year = _by_group(record, np.asarray(record.timestamps.year))
    report.by_symbol = _by_group(record, record.symbols)
    if record.has_r:
        report.trades = {
            name: _trade_figures(record, mask, bootstrap)
            for name, mask in record.selections.items()
        }
        report.random_draws = _random_draws(record, random_draws, seed)
    return report
