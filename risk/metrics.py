"""Portfolio metrics: the account snapshot (`RiskMetrics`) and performance over a history.

Conventions (stated because every trading tool differs a little):
- Returns are simple period returns of the equity curve; annualised with 252 sessions.
- Sharpe = mean / sample standard deviation × √252, risk-free rate 0.
- Sortino = mean / downside deviation × √252, where the downside deviation is
  √(mean of min(r, 0)²) over all periods.
- Max drawdown is the largest fall from a running peak, as a positive share of the peak.
- Win rate counts trades with P&L > 0 among all closed trades.
- Profit factor = gross profit / gross loss; None when there is no loss.
- Average R = mean of (trade P&L / initial dollar risk).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from statistics import fmean, stdev

from core.base.types import RiskMetrics
from risk.portfolio import HeldPosition, exposure, stop_risk

PERIODS_PER_YEAR = 252


def period_returns(equity: Sequence[float]) -> list[float]:
    return [b / a - 1.0 for a, b in pairwise(equity) if a > 0]


def sharpe(returns: Sequence[float], periods_per_year: int = PERIODS_PER_YEAR) -> float | None:
    if len(returns) < 2:
        return None
    spread = stdev(returns)
    if spread == 0:
        return None
    return fmean(returns) / spread * math.sqrt(periods_per_year)


def sortino(returns: Sequence[float], periods_per_year: int = PERIODS_PER_YEAR) -> float | None:
    if len(returns) < 2:
        return None
    downside = math.sqrt(fmean([min(r, 0.0) ** 2 for r in returns]))
    if downside == 0:
        return None
    return fmean(returns) / downside * math.sqrt(periods_per_year)


def max_drawdown(equity: Sequence[float]) -> float:
    peak = -math.inf
    worst = 0.0
    for value in equity:
        peak = max(peak, value)
        if peak > 0:
            worst = max(worst, (peak - value) / peak)
    return worst


def win_rate(pnls: Sequence[float]) -> float | None:
    if not pnls:
        return None
    return sum(1 for pnl in pnls if pnl > 0) / len(pnls)


def profit_factor(pnls: Sequence[float]) -> float | None:
    gross_loss = -sum(pnl for pnl in pnls if pnl < 0)
    if gross_loss == 0:
        return None
    return sum(pnl for pnl in pnls if pnl > 0) / gross_loss


def average_r(pnls: Sequence[float], initial_risks: Sequence[float]) -> float | None:
    multiples = [pnl / risk for pnl, risk in zip(pnls, initial_risks, strict=True) if risk > 0]
    return fmean(multiples) if multiples else None


@dataclass(frozen=True)
class ClosedTrade:
    pnl: float
    initial_risk: float
    """Dollars at risk at entry: shares × (entry − initial stop)."""


class PortfolioMonitor:
    """Builds `RiskMetrics` from the account and, optionally, its history."""

    def __init__(self, max_open_positions: int) -> None:
        self._max_open_positions = max_open_positions

    def snapshot(
        self,
        *,
        cash: float,
        positions: Mapping[str, HeldPosition],
        session_start_equity: float | None,
        equity_curve: Sequence[float] = (),
        trades: Sequence[ClosedTrade] = (),
        now: datetime | None = None,
    ) -> RiskMetrics:
        held = list(positions.values())
        market_value = exposure(held)
        equity = cash + market_value
        start = session_start_equity if session_start_equity else equity
        daily_pnl = equity - start
        returns = period_returns(equity_curve)
        pnls = [t.pnl for t in trades]
        return RiskMetrics(
            equity=equity,
            cash=cash,
            exposure=market_value,
            daily_pnl=daily_pnl,
            daily_pnl_pct=daily_pnl / start if start else 0.0,
            open_positions=len(held),
            available_positions=max(0, self._max_open_positions - len(held)),
            portfolio_risk=stop_risk(held) / equity if equity > 0 else 0.0,
            sharpe=sharpe(returns),
            sortino=sortino(returns),
            max_drawdown=max_drawdown(equity_curve) if equity_curve else None,
            win_rate=win_rate(pnls),
            profit_factor=profit_factor(pnls),
            average_r=average_r(pnls, [t.initial_risk for t in trades]),
            timestamp=now,
        )
