"""Series for performance charts: equity beside an equal-weight buy-and-hold of the same
symbols, drawdown and daily P&L. Shared by the live account and backtests so both are
measured the same way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class PerformanceSeries:
    """One value per session, oldest first; `benchmark` is None where no price was known."""

    dates: list[date]
    equity: list[float]
    benchmark: list[float | None]
    drawdown: list[float]
    """Share below the running peak of equity (0 at a new high, −0.1 ten percent below)."""
    daily_pnl: list[float]


def buy_and_hold(
    history: Mapping[str, pd.DataFrame], sessions: Sequence[date], capital: float
) -> pd.Series:
    """Equal-weight buy and hold of `history`'s symbols, bought at the first close."""
    index = pd.DatetimeIndex([pd.Timestamp(d, tz=UTC) for d in sessions])
    closes = pd.DataFrame(
        {s: f["close"].reindex(index, method="ffill") for s, f in history.items() if len(f)}
    )
    if closes.empty:
        return pd.Series(np.nan, index=index)
    first = closes.bfill().iloc[0]
    shares = (capital / len(closes.columns)) / first
    return (closes.ffill().bfill() * shares).sum(axis=1, min_count=1)


def drawdown(values: Sequence[float]) -> list[float]:
    array = np.asarray(values, dtype=float)
    if not len(array):
        return []
    peaks = np.maximum.accumulate(array)
    return [float(x) for x in np.where(peaks > 0, array / peaks - 1.0, 0.0)]


def performance_series(
    closing: Sequence[tuple[date, float, float]], history: Mapping[str, pd.DataFrame]
) -> PerformanceSeries:
    """`closing`: (session, equity, daily P&L) at each session's last snapshot."""
    dates = [d for d, _, _ in closing]
    equity = [e for _, e, _ in closing]
    benchmark: list[float | None] = []
    if dates:
        series = buy_and_hold(history, dates, equity[0])
        benchmark = [None if pd.isna(v) else float(v) for v in series.to_numpy()]
    return PerformanceSeries(
        dates=dates,
        equity=equity,
        benchmark=benchmark,
        drawdown=drawdown(equity),
        daily_pnl=[p for _, _, p in closing],
    )
