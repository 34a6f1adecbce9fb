"""Metrics against values worked out by hand on small vectors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from ml.evaluation import (
    classification_metrics,
    expected_calibration_error,
    grouped_trades,
    r_by_decile,
    reliability_bins,
    trade_summary,
)
from ml.plots import (
    feature_importance_plot,
    r_by_decile_plot,
    r_by_year_plot,
    reliability_diagram,
)

Y = np.array([1, 0, 1, 1, 0])
P = np.array([0.9, 0.4, 0.6, 0.3, 0.2])


def test_metrics_by_hand() -> None:
    m = classification_metrics(Y, P)
    # Predicted up: 0.9, 0.6 → tp 2; 0.3 is a missed up; 0.4, 0.2 correct downs.
    assert m["accuracy"] == pytest.approx(4 / 5)
    assert m["precision"] == pytest.approx(1.0)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(0.8)
    # AUC: pairs (up, down) = 3 × 2 = 6; ups 0.9, 0.6, 0.3 vs downs 0.4, 0.2 → 5 correct.
    assert m["auc"] == pytest.approx(5 / 6)
    brier = (0.01 + 0.16 + 0.16 + 0.49 + 0.04) / 5
    assert m["brier"] == pytest.approx(brier)
    ll = -(math.log(0.9) + math.log(0.6) + math.log(0.6) + math.log(0.3) + math.log(0.8)) / 5
    assert m["log_loss"] == pytest.approx(ll)
    assert m["n"] == 5


def test_ece_by_hand() -> None:
    # Bins of width 0.1: 0.9 → [0.8, 0.9], 0.4 → (0.3, 0.4], 0.6 → (0.5, 0.6],
    # 0.3 → (0.2, 0.3], 0.2 → (0.1, 0.2]: one sample each, so ECE = mean |p − y|.
    expected = (0.1 + 0.4 + 0.4 + 0.7 + 0.2) / 5
    assert expected_calibration_error(Y, P) == pytest.approx(expected)
    # Perfectly calibrated groups give 0.
    y = np.array([1, 0, 1, 0])
    assert expected_calibration_error(y, np.full(4, 0.5)) == pytest.approx(0.0)


def test_plots_are_written(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    p = rng.random(500)
    y = (rng.random(500) < p).astype(int)
    assert reliability_diagram(tmp_path / "r.png", {"m": (y, p)}).stat().st_size > 5_000
    assert feature_importance_plot(tmp_path / "f.png", {"a": 3.0, "b": 1.0}).stat().st_size > 2_000
    deciles = {"m": r_by_decile(p, np.where(y == 1, 1.0, -1.0))}
    assert r_by_decile_plot(tmp_path / "d.png", deciles, typical_r=0.1).stat().st_size > 5_000
    years = {"m": {"2020": 0.2, "2021": None}, "all": {"2020": 0.1, "2021": -0.1}}
    assert r_by_year_plot(tmp_path / "y.png", years).stat().st_size > 5_000


def test_reliability_bins_leave_out_thin_bins() -> None:
    p = np.array([0.15] * 30 + [0.85] * 30 + [0.55] * 3)
    y = np.array([0] * 27 + [1] * 3 + [1] * 24 + [0] * 6 + [1] * 3)
    bins = reliability_bins(y, p)
    assert [b["n"] for b in bins] == [30, 30]  # the 3 samples at 0.55 are noise
    assert bins[0]["forecast"] == pytest.approx(0.15)
    assert bins[0]["observed"] == pytest.approx(0.1)
    assert bins[1]["observed"] == pytest.approx(0.8)


def test_r_by_decile_ranks_trades_by_forecast() -> None:
    p = np.arange(20) / 20
    r = np.arange(20, dtype=float)
    deciles = r_by_decile(p, r)
    assert [d["n"] for d in deciles] == [2] * 10
    assert [d["mean_r"] for d in deciles] == [0.5 + 2 * k for k in range(10)]
    # A constant forecast still makes ten equal groups (ranks, not cut points).
    assert [d["n"] for d in r_by_decile(np.full(20, 0.5), r)] == [2] * 10


def test_trade_summaries_per_group() -> None:
    r = np.array([1.0, -1.0, 2.0, -0.5])
    chosen = np.array([True, False, True, True])
    assert trade_summary(r[chosen]) == {
        "trades": 3,
        "mean_r": pytest.approx(2.5 / 3),
        "hit_rate": pytest.approx(2 / 3),
        "total_r": pytest.approx(2.5),
    }
    assert trade_summary(np.array([]))["trades"] == 0
    groups = grouped_trades(r, chosen, np.array(["A", "A", "B", "B"]))
    assert groups["A"]["selected"]["trades"] == 1
    assert groups["A"]["all"]["mean_r"] == pytest.approx(0.0)
    assert groups["B"]["selected"]["mean_r"] == pytest.approx(0.75)
