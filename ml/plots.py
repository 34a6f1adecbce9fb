"""The evaluation's pictures, as PNG files (matplotlib's Agg backend: files only, never
a window): reliability, R by confidence decile, R by year, feature importance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from ml.evaluation import reliability_bins, top_features


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
        xlabel="forecast probability",
        ylabel="observed frequency",
        title="Reliability (out of sample)",
        xlim=(0, 1),
        ylim=(0, 1),
    )
    ax.legend(loc="upper left")
    return _save(fig, path)


def r_by_decile_plot(
    path: Path, deciles: Mapping[str, Sequence[Mapping[str, Any]]], typical_r: float
) -> Path:
    """Mean R per confidence decile, one line per model, against every trade's mean R."""
    fig, ax = plt.subplots(figsize=(7, 5))
    ax.axhline(typical_r, linestyle="--", color="grey", label="every trade of the plan")
    ax.axhline(0.0, color="black", linewidth=0.5)
    for name, rows in deciles.items():
        ax.plot([d["decile"] for d in rows], [d["mean_r"] for d in rows], marker="o", label=name)
    ax.set(
        xlabel="confidence decile (1 = least confident)",
        ylabel="mean R of the plan's trade",
        title="R by confidence decile (out of sample)",
    )
    ax.legend(loc="best")
    return _save(fig, path)


def r_by_year_plot(path: Path, years: Mapping[str, Mapping[str, float | None]]) -> Path:
    """Mean R per year for each selection (model, baselines), grouped bars."""
    names = list(years)
    labels = sorted({year for rows in years.values() for year in rows})
    fig, ax = plt.subplots(figsize=(max(8, len(labels) * 0.6), 5))
    width = 0.8 / max(len(names), 1)
    x = np.arange(len(labels))
    for k, name in enumerate(names):
        values = [years[name].get(year) for year in labels]
        heights = [v if v is not None else 0.0 for v in values]
        ax.bar(x + k * width - 0.4 + width / 2, heights, width, label=name)
    ax.axhline(0.0, color="black", linewidth=0.5)
    ax.set_xticks(x, labels, rotation=60)
    ax.set(ylabel="mean R of selected trades", title="R by year (out of sample)")
    ax.legend(loc="best", fontsize="small")
    return _save(fig, path)


def feature_importance_plot(path: Path, importance: Mapping[str, float], top: int = 20) -> Path:
    items = top_features(importance, top)
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.barh([k for k, _ in reversed(items)], [v for _, v in reversed(items)])
    ax.set(xlabel="LightGBM gain", title="Feature importance")
    return _save(fig, path)


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
