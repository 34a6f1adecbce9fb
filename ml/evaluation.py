"""Quality figures for probability forecasts and for the trades they select.

Accuracy alone flatters: a model can be "55% right" and still lose money, or be right
for the wrong reasons. So every report also carries ROC AUC (ranking), Brier score and
log loss (probability quality) and the expected calibration error (does 0.7 mean 70%?),
and — for the plan target — what the trades a forecast picks earned, in R.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

from ml.ensemble import log_loss

ECE_BINS = 10


def roc_auc(y: np.ndarray, p: np.ndarray) -> float | None:
    """ROC AUC, or None when only one class occurs."""
    y = np.asarray(y, dtype=int)
    return float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else None


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = ECE_BINS) -> float:
    """Σ over equal-width bins of (share of samples) × |mean forecast − hit rate|."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        in_bin = which == b
        if in_bin.any():
            total += in_bin.mean() * abs(p[in_bin].mean() - y[in_bin].mean())
    return float(total)


def classification_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float | int | None]:
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    predicted = (p >= 0.5).astype(int)
    return {
        "accuracy": float((predicted == y).mean()) if len(y) else None,
        "precision": float(precision_score(y, predicted, zero_division=0)),
        "recall": float(recall_score(y, predicted, zero_division=0)),
        "f1": float(f1_score(y, predicted, zero_division=0)),
        "auc": roc_auc(y, p),
        "brier": float(np.mean((p - y) ** 2)),
        "log_loss": log_loss(y.astype(float), p),
        "ece": expected_calibration_error(y, p),
        "n": len(y),
    }


def reliability_bins(
    y: np.ndarray, p: np.ndarray, bins: int = ECE_BINS, min_count: int = 20
) -> list[dict[str, float]]:
    """Per equal-width forecast bin: mean forecast, observed frequency, count. Bins
    with fewer than `min_count` samples are left out: such a point is noise."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1], right=True), 0, bins - 1)
    out = []
    for b in range(bins):
        mask = which == b
        if mask.sum() >= min_count:
            out.append(
                {
                    "forecast": float(p[mask].mean()),
                    "observed": float(y[mask].mean()),
                    "n": int(mask.sum()),
                }
            )
    return out


def r_by_decile(p: np.ndarray, r: np.ndarray, deciles: int = 10) -> list[dict[str, float]]:
    """Mean R of the trades in each decile of the forecast (lowest first): a model that
    knows something shows R rising with its confidence."""
    p = np.asarray(p, dtype=float)
    r = np.asarray(r, dtype=float)
    if len(p) < deciles:
        return []
    # Ranks, not value cut points: ties (a constant forecast) still make equal groups.
    groups = np.array_split(np.argsort(p, kind="mergesort"), deciles)
    return [
        {
            "decile": k + 1,
            "forecast": float(p[g].mean()),
            "mean_r": float(r[g].mean()),
            "hit_rate": float((r[g] > 0).mean()),
            "n": len(g),
        }
        for k, g in enumerate(groups)
    ]


def trade_summary(r: np.ndarray) -> dict[str, Any]:
    """Count, mean R, share in profit and total R of a set of trades."""
    r = np.asarray(r, dtype=float)
    if r.size == 0:
        return {"trades": 0, "mean_r": None, "hit_rate": None, "total_r": 0.0}
    return {
        "trades": int(r.size),
        "mean_r": float(r.mean()),
        "hit_rate": float((r > 0).mean()),
        "total_r": float(r.sum()),
    }


def grouped_trades(
    r: np.ndarray, selected: np.ndarray, groups: np.ndarray
) -> dict[str, dict[str, Any]]:
    """Per group (year, symbol): the selected trades beside all trades of the plan."""
    frame = pd.DataFrame({"group": np.asarray(groups).astype(str), "r": r, "chosen": selected})
    out = {}
    for key, part in frame.groupby("group", sort=True):
        values = part["r"].to_numpy()
        out[str(key)] = {
            "selected": trade_summary(values[part["chosen"].to_numpy()]),
            "all": trade_summary(values),
        }
    return out


def top_features(importance: Mapping[str, float], top: int = 20) -> list[tuple[str, float]]:
    return sorted(importance.items(), key=lambda kv: kv[1], reverse=True)[:top]
