"""A backtest's results: round trips from the journal's fills, the usual metrics, and
an equal-weight buy-and-hold of the same symbols measured the same way."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from core.agent.performance import buy_and_hold
from core.base.settings import Settings
from core.base.types import OrderSide
from core.drivers.backtest.config import BacktestResult, TradeRecord
from execution.protection import stop_in_cents
from risk.metrics import max_drawdown, period_returns, profit_factor, sharpe, sortino, win_rate
from storage.orders import FillRecord
from storage.port import Store

PERIODS_PER_YEAR = 252


@dataclass
class _Lot:
    qty: float
    price: float
    time: datetime
    commission: float
    stop: float | None


def _stop_of(fill: FillRecord) -> float | None:
    """The protective stop the fill got: the plan's risk per share kept from the actual
    fill price, in whole cents (as `execution.protection` places it)."""
    if fill.signal_stop is None or fill.signal_price is None:
        return None
    return stop_in_cents(fill.price - (fill.signal_price - fill.signal_stop))


def round_trips(store: Store, last_prices: Mapping[str, float], end: datetime) -> list[TradeRecord]:
    """Pair buys with later sells per symbol, first in first out; positions still open
    are marked at the last price."""
    trades = []
    lots: dict[str, list[_Lot]] = {}
    for fill in store.orders.fill_records():
        if fill.side is OrderSide.BUY:
            lots.setdefault(fill.symbol, []).append(
                _Lot(fill.quantity, fill.price, fill.filled_at, fill.commission, _stop_of(fill))
            )
            continue
        remaining = fill.quantity
        for lot in list(lots.get(fill.symbol, [])):
            if remaining <= 0:
                break
            qty = min(lot.qty, remaining)
            share = qty / lot.qty
            pnl = (
                qty * (fill.price - lot.price)
                - lot.commission * share
                - fill.commission * qty / fill.quantity
            )
            trades.append(
                TradeRecord(
                    symbol=fill.symbol,
                    side="long",
                    qty=qty,
                    entry_time=lot.time.isoformat(),
                    entry_price=lot.price,
                    exit_time=fill.filled_at.isoformat(),
                    exit_price=fill.price,
                    stop_at_entry=lot.stop,
                    pnl=pnl,
                    exit_reason=fill.reason or "signal",
                )
            )
            lot.commission *= 1 - share
            lot.qty -= qty
            remaining -= qty
            if lot.qty <= 1e-9:
                lots[fill.symbol].remove(lot)
    for symbol, open_lots in lots.items():
        for lot in open_lots:
            price = last_prices.get(symbol, lot.price)
            trades.append(
                TradeRecord(
                    symbol=symbol,
                    side="long",
                    qty=lot.qty,
                    entry_time=lot.time.isoformat(),
                    entry_price=lot.price,
                    exit_time=end.isoformat(),
                    exit_price=price,
                    stop_at_entry=lot.stop,
                    pnl=lot.qty * (price - lot.price) - lot.commission,
                    exit_reason="open at end",
                )
            )
    return trades


def performance(values: Sequence[float], sessions: int) -> dict[str, float | None]:
    returns = period_returns(values)
    years = max(sessions, 1) / PERIODS_PER_YEAR
    total = values[-1] / values[0] - 1.0 if values and values[0] else 0.0
    return {
        "total_return": total,
        "cagr": (1 + total) ** (1 / years) - 1 if total > -1 else -1.0,
        "sharpe": sharpe(returns),
        "sortino": sortino(returns),
        "max_drawdown": max_drawdown(values),
    }


def collect(
    store: Store,
    history: Mapping[str, pd.DataFrame],
    sessions: list[date],
    settings: Settings,
    end: datetime,
) -> BacktestResult:
    snapshots = store.equity.curve()
    values = [settings.trading.initial_capital] + [s.equity for s in snapshots]
    last = pd.Timestamp(sessions[-1], tz=UTC)
    last_prices = {
        s: float(f["close"].loc[:last].iloc[-1]) for s, f in history.items() if len(f.loc[:last])
    }
    trades = round_trips(store, last_prices, end)
    pnls = [t.pnl for t in trades]
    fills = store.orders.fill_records()
    notional = sum(f.quantity * f.price for f in fills)
    commissions = sum(f.commission for f in fills)
    slippage = notional * (settings.trading.broker.slippage_bps / 10_000.0)
    mean_equity = float(np.mean(values)) if values else 0.0
    exposure = [(s.equity - s.cash) / s.equity for s in snapshots if s.equity > 0]
    metrics = {
        **performance(values, len(sessions)),
        "win_rate": win_rate(pnls),
        "profit_factor": profit_factor(pnls),
        "trades": len(trades),
        "exposure": float(np.mean(exposure)) if exposure else 0.0,
        "turnover": notional / mean_equity if mean_equity else 0.0,
        "costs": commissions + slippage,
        "final_equity": values[-1],
        "signals": store.signals.count_all(),
        "orders_failed": store.orders.count_failed(),
    }
    benchmark_series = buy_and_hold(history, sessions, settings.trading.initial_capital)
    benchmark = {
        **performance(list(benchmark_series.to_numpy()), len(sessions)),
        "final_equity": float(benchmark_series.iloc[-1]),
        "equity": [
            {"date": day, "equity": float(value)}
            for day, value in zip(
                pd.DatetimeIndex(benchmark_series.index).strftime("%Y-%m-%d"),
                benchmark_series.to_numpy(),
                strict=True,
            )
        ],
    }
    equity_rows = [
        {"date": s.timestamp.date().isoformat(), "equity": s.equity, "cash": s.cash}
        for s in snapshots
    ]
    return BacktestResult(metrics=metrics, benchmark=benchmark, trades=trades, equity=equity_rows)


def write_json(result: BacktestResult, path: Path) -> None:
    path.write_text(json.dumps(result.to_json(), indent=2, default=str), encoding="utf-8")
