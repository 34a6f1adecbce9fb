"""Metrics against values worked out by hand on a five-point equity curve."""

from __future__ import annotations

import math

import pytest

from risk.metrics import (
    ClosedTrade,
    PortfolioMonitor,
    average_r,
    max_drawdown,
    period_returns,
    profit_factor,
    sharpe,
    sortino,
    win_rate,
)
from risk.portfolio import HeldPosition

EQUITY = [100.0, 110.0, 99.0, 105.0, 120.0]
# Returns: +10%, −10%, +6.0606…%, +14.2857…%
RETURNS = [0.10, -0.10, 6 / 99, 15 / 105]
PNLS = [50.0, -20.0, 30.0, -10.0, 0.0]
RISKS = [25.0, 20.0, 30.0, 10.0, 10.0]


def test_period_returns() -> None:
    assert period_returns(EQUITY) == pytest.approx(RETURNS)


def test_sharpe_by_hand() -> None:
    mean = sum(RETURNS) / 4
    sample_sd = math.sqrt(sum((r - mean) ** 2 for r in RETURNS) / 3)
    assert sharpe(RETURNS) == pytest.approx(mean / sample_sd * math.sqrt(252))
    # Worked by hand: mean = 0.2034632 / 4, sample sd = √(0.0337319 / 3).
    assert mean == pytest.approx(0.0508658, abs=1e-6)
    assert sample_sd == pytest.approx(0.1060376, abs=1e-6)
    assert sharpe(RETURNS) == pytest.approx(7.6149, abs=1e-3)


def test_sortino_by_hand() -> None:
    downside = math.sqrt(0.01 / 4)  # only −10% is below zero: √(0.1² / 4) = 0.05
    assert sortino(RETURNS) == pytest.approx(sum(RETURNS) / 4 / downside * math.sqrt(252))


def test_max_drawdown_by_hand() -> None:
    assert max_drawdown(EQUITY) == pytest.approx(0.10)  # 110 → 99
    assert max_drawdown([100, 120, 60, 130, 65]) == pytest.approx(0.5)
    assert max_drawdown([1, 2, 3]) == 0.0


def test_trade_statistics_by_hand() -> None:
    assert win_rate(PNLS) == pytest.approx(2 / 5)
    assert profit_factor(PNLS) == pytest.approx(80 / 30)
    # R multiples: 2, −1, 1, −1, 0 → mean 0.2
    assert average_r(PNLS, RISKS) == pytest.approx(0.2)


def test_degenerate_inputs() -> None:
    assert sharpe([0.01]) is None
    assert sharpe([0.01, 0.01]) is None
    assert sortino([0.01, 0.02]) is None
    assert win_rate([]) is None
    assert profit_factor([10.0, 5.0]) is None
    assert average_r([], []) is None


def test_monitor_snapshot() -> None:
    monitor = PortfolioMonitor(max_open_positions=5)
    held = {
        "PLTR": HeldPosition("PLTR", 40, 25.0, stop_price=22.0),
        "SPY": HeldPosition("SPY", 2, 500.0, stop_price=490.0),
    }
    metrics = monitor.snapshot(
        cash=7_000.0,
        positions=held,
        session_start_equity=8_100.0,
        equity_curve=EQUITY,
        trades=[ClosedTrade(p, r) for p, r in zip(PNLS, RISKS, strict=True)],
    )
    assert metrics.exposure == pytest.approx(2_000.0)
    assert metrics.equity == pytest.approx(9_000.0)
    assert metrics.daily_pnl == pytest.approx(900.0)
    assert metrics.daily_pnl_pct == pytest.approx(900 / 8_100)
    assert metrics.open_positions == 2
    assert metrics.available_positions == 3
    assert metrics.portfolio_risk == pytest.approx((40 * 3 + 2 * 10) / 9_000)
    assert metrics.max_drawdown == pytest.approx(0.10)
    assert metrics.win_rate == pytest.approx(0.4)
    assert metrics.average_r == pytest.approx(0.2)
