"""Quality figures for probability forecasts, against baselines, and their plots.

Accuracy alone flatters: a model can be "55% right" and still lose money, or be right
for the wrong reasons. So every report also carries ROC AUC (ranking), Brier score and
log loss (probability quality) and the expected calibration error (does 0.7 mean 70%?),
next to two baselines: always-up (the training base rate) and momentum.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never a window
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

from ml.ensemble import log_loss

ECE_BINS = 10


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
    both_classes = len(np.unique(y)) == 2
    return {
        "accuracy": float((predicted == y).mean()) if len(y) else None,
        "precision": float(precision_score(y, predicted, zero_division=0)),
        "recall": float(recall_score(y, predicted, zero_division=0)),
        "f1": float(f1_score(y, predicted, zero_division=0)),
        "auc": float(roc_auc_score(y, p)) if both_classes else None,
        "brier": float(np.mean((p - y) ** 2)),
        "log_loss": log_loss(y.astype(float), p),
        "ece": expected_calibration_error(y, p),
        "n": len(y),
    }


def reliability_bins(
    y: np.ndarray, p: np.ndarray, bins: int = ECE_BINS, min_count: int = 20
) -> list[dict[str, float]]:
    """Per equal-width forecast bin: mean forecast, observed frequency of up, count.
    Bins with fewer than `min_count` samples are left out: such a point is noise."""
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


def reliability_diagram(path: Path, curves: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> Path:
    """Forecast vs observed frequency per bin, one line per model; the diagonal is ideal."""
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
    for name, (y, p) in curves.items():
        points = reliability_bins(y, p)
        ax.plot(
            [b["forecast"] for b in points], [b["observed"] for b in points], marker="o", label=name
        )
    ax.set(
        xlabel="forecast probability of up",
        ylabel="observed frequency of up",
        title="Reliability (out of sample)",
        xlim=(0, 1),
        ylim=(0, 1),
    )
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def top_features(importance: Mapping[str, float], top: int = 20) -> list[tuple[str, float]]:
    return sorted(importance.items(), key=lambda kv: kv[1], reverse=True)[:top]


def feature_importance_plot(path: Path, importance: Mapping[str, float], top: int = 20) -> Path:
    items = top_features(importance, top)
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.barh([k for k, _ in reversed(items)], [v for _, v in reversed(items)])
    ax.set(xlabel="LightGBM gain", title="Feature importance")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
