"""Training runs: a graded manifest, and the demo's quick model on the simulated
market, whose structure is known, earning autonomy by the same grading function."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from core.data.simulated import SimulatedMarket
from ml.registry import is_proven
from ml.training import train_run
from ml.walk_forward import WalkForwardConfig
from tests.unit.ml.conftest import simulated_bars

DEMO_SYMBOLS = ("PLTR", "SPY", "AAPL", "MSFT", "NVDA", "KO", "XOM", "JPM")


def test_a_run_without_a_record_is_not_proven() -> None:
    bars = simulated_bars(["AAA", "BBB", "SPY"], years=3)
    spy = bars.pop("SPY")
    result = train_run(bars, ["gbm", "momentum"], lookback=20, context=spy, evaluation=None)
    assert not result.grade.proven
    assert not is_proven(result.manifest)
    assert "without a walk-forward record" in result.grade.criteria[0].explanation
    assert result.manifest["typical"]["trades"] > 0
    assert result.manifest["selection"]["threshold"] == pytest.approx(
        result.manifest["typical"]["base_rate"] + 0.05
    )


def test_the_demo_quick_model_is_graded_proven_on_the_simulated_market() -> None:
    """gbm + momentum on 12 years of the demo's eight simulated symbols at the demo's
    predictability (0.8): the market has trends that outlast the plan's holding time,
    and the model must find them — by the same grading function as on real data."""
    market = SimulatedMarket(predictability=0.8)
    end = datetime(2025, 11, 28, tzinfo=UTC)
    bars = market.get_bars(DEMO_SYMBOLS, end - timedelta(days=int(365.25 * 12)), end)
    result = train_run(
        bars, ["gbm", "momentum"], context=bars["SPY"], evaluation=WalkForwardConfig()
    )
    grade = result.manifest["grade"]
    failed = {k: c["explanation"] for k, c in grade["criteria"].items() if not c["passed"]}
    assert grade["proven"], failed
    assert is_proven(result.manifest)
    assert result.report is not None
    assert result.report.metrics["ensemble"]["auc"] > 0.58
    assert np.isfinite(result.manifest["typical"]["typical_r"])


def test_too_short_a_history_trains_but_says_why_it_is_not_graded() -> None:
    bars = simulated_bars(["AAA", "SPY"], years=2)
    spy = bars.pop("SPY")
    result = train_run(bars, ["momentum"], lookback=20, context=spy)
    assert result.report is None
    assert not result.manifest["grade"]["proven"]
    assert "history too short" in result.manifest["grade"]["criteria"]["record"]["explanation"]
