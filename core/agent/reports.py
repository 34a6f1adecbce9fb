"""What a person can read: status, positions, P&L, trades, equity and performance, the
model's report. Plain typed records built from the broker, the book and the journal;
the Engine serves them to every front end."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

import pandas as pd

from core.agent.performance import PerformanceSeries, performance_series
from core.agent.services import Services
from core.base.errors import InvalidRequest
from core.base.types import TradingMode, TradingStatus
from ml.selection import typical_for
from risk.daily_loss import session_of
from risk.metrics import max_drawdown, period_returns, sharpe
from storage.records import PredictionRecord

log = logging.getLogger(__name__)
PnlPeriod = Literal["today", "week", "month", "all"]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class PositionView:
    symbol: str
    quantity: float
    entry: float
    last: float | None
    unrealized_pnl: float | None
    stop: float | None
    trailing_stop: float | None


@dataclass(frozen=True)
class StatusReport:
    mode: TradingMode
    trading: TradingStatus
    equity: float
    cash: float
    exposure: float
    daily_pnl: float
    daily_pnl_pct: float
    positions: int
    pending_signals: int
    next_runs: dict[str, datetime | None]
    data_provider: str
    broker: str
    account_mode: str
    """paper or live."""
    model_run: str | None
    reconciled: bool
    telegram_connected: bool | None


@dataclass(frozen=True)
class PnlReport:
    period: str
    start: datetime | None
    start_equity: float | None
    end_equity: float
    pnl: float
    pnl_pct: float
    realized: float
    trades: int


@dataclass(frozen=True)
class Trade:
    symbol: str
    side: str
    quantity: float
    price: float
    commission: float
    at: datetime
    client_order_id: str
    signal_id: str | None


@dataclass(frozen=True)
class EquityPoint:
    at: datetime
    equity: float
    cash: float
    daily_pnl: float


@dataclass
class ModelReport:
    run_id: str | None
    manifest: dict[str, Any]
    live_accuracy: float | None
    """Share of scored predictions on the right side of their typical."""
    live_scored: int
    live_by_week: list[tuple[date, float, int]] = field(default_factory=list)
    live_brier: float | None = None
    """Mean squared error of the live probabilities against what happened."""
    live_typical_brier: float | None = None
    """The same for the typical alone (the plan's base rate, or even odds): the score
    to beat."""


def status(
    s: Services, *, next_runs: dict[str, datetime | None], telegram: bool | None
) -> StatusReport:
    account = s.broker.get_account()
    held = s.store.book.open_positions()
    stored = s.store.state.load_session_start()
    start = stored[1] if stored else account.equity
    _, run_id = s.models.current()
    return StatusReport(
        mode=s.runtime.get().mode,
        trading=s.desk.trading_state.current(),
        equity=account.equity,
        cash=account.cash,
        exposure=account.equity - account.cash,
        daily_pnl=account.equity - start,
        daily_pnl_pct=(account.equity / start - 1.0) if start else 0.0,
        positions=len(held),
        pending_signals=s.store.signals.count_pending(),
        next_runs=next_runs,
        data_provider=s.data.name,
        broker=s.broker.name,
        account_mode=s.mode_label,
        model_run=run_id,
        reconciled=s.desk.orders.healthy,
        telegram_connected=telegram,
    )


def positions(s: Services) -> list[PositionView]:
    rows = s.store.book.open_positions()
    quotes = s.data.latest_prices([r.symbol for r in rows]) if rows else {}
    out = []
    for row in rows:
        last = quotes.get(row.symbol)
        out.append(
            PositionView(
                symbol=row.symbol,
                quantity=row.quantity,
                entry=row.avg_entry_price,
                last=last,
                unrealized_pnl=(last - row.avg_entry_price) * row.quantity if last else None,
                stop=row.stop_price,
                trailing_stop=row.trailing_stop,
            )
        )
    return out


def period_start(now: datetime, period: PnlPeriod) -> datetime | None:
    today = session_of(now)
    starts = {
        "today": today,
        "week": today - timedelta(days=today.weekday()),
        "month": today.replace(day=1),
    }
    if period == "all":
        return None
    if period not in starts:
        raise InvalidRequest(f"period {period!r}: use today, week, month or all")
    return datetime.combine(starts[period], time(), tzinfo=UTC)


def pnl(s: Services, period: PnlPeriod) -> PnlReport:
    start = period_start(s.clock.now(), period)
    account = s.broker.get_account()
    if period == "today":
        stored = s.store.state.load_session_start()
        start_equity = stored[1] if stored else account.equity
    else:
        before = s.store.equity.latest_before(start) if start else None
        first = s.store.equity.curve()[:1]
        start_equity = (
            before.equity
            if before
            else first[0].equity
            if first
            else s.settings.trading.initial_capital
        )
    fills = s.store.orders.fills_since(start or EPOCH)
    change = account.equity - start_equity
    return PnlReport(
        period=period,
        start=start,
        start_equity=start_equity,
        end_equity=account.equity,
        pnl=change,
        pnl_pct=change / start_equity if start_equity else 0.0,
        realized=s.store.book.realized_since(start),
        trades=len(fills),
    )


def trades(s: Services, limit: int, symbol: str | None) -> list[Trade]:
    out = [
        Trade(
            symbol=f.symbol,
            side=f.side.value,
            quantity=f.quantity,
            price=f.price,
            commission=f.commission,
            at=f.filled_at,
            client_order_id=f.client_order_id,
            signal_id=f.signal_id,
        )
        for f in s.store.orders.fill_records()
        if symbol is None or f.symbol == symbol.upper()
    ]
    return list(reversed(out))[:limit]


def equity_curve(s: Services) -> list[EquityPoint]:
    return [EquityPoint(r.timestamp, r.equity, r.cash, r.daily_pnl) for r in s.store.equity.curve()]


def performance(s: Services) -> dict[str, float | None]:
    values = [p.equity for p in equity_curve(s)]
    return {
        "sharpe": sharpe(period_returns(values)),
        "max_drawdown": max_drawdown(values) if values else None,
    }


def performance_chart(s: Services) -> PerformanceSeries:
    closing: dict[date, tuple[float, float]] = {}
    for row in s.store.equity.curve():
        closing[session_of(row.timestamp)] = (row.equity, row.daily_pnl)  # last one wins
    days = sorted(closing)
    history: dict[str, pd.DataFrame] = {}
    if days:
        symbols = list(s.runtime.get().symbols)
        start = datetime.combine(days[0] - timedelta(days=7), time(), tzinfo=UTC)
        try:
            history = s.data.get_bars(symbols, start, s.clock.now())
        except Exception as error:  # the chart still shows equity without a benchmark
            log.warning("benchmark prices unavailable", extra={"error": str(error)})
    return performance_series([(d, *closing[d]) for d in days], history)


def model_report(s: Services) -> ModelReport:
    models = s.models
    scored = s.store.predictions.scored()
    typicals = [typical_for(p.details.get("target"), p.details.get("base_rate")) for p in scored]
    hits = [
        int((p.probability_up >= typical) == bool(p.outcome))
        for p, typical in zip(scored, typicals, strict=True)
    ]
    weekly: dict[date, list[int]] = {}
    for p, hit in zip(scored, hits, strict=True):
        week = (p.bar_time - timedelta(days=p.bar_time.weekday())).date()
        weekly.setdefault(week, []).append(hit)
    return ModelReport(
        run_id=models.run_id,
        manifest=dict(models.manifest),
        live_accuracy=sum(hits) / len(hits) if hits else None,
        live_scored=len(hits),
        live_by_week=[(w, sum(h) / len(h), len(h)) for w, h in sorted(weekly.items())],
        live_brier=_brier([p.probability_up for p in scored], scored),
        live_typical_brier=_brier(typicals, scored),
    )


def _brier(probabilities: list[float], scored: list[PredictionRecord]) -> float | None:
    if not scored:
        return None
    errors = [
        (p - float(row.outcome or 0)) ** 2 for p, row in zip(probabilities, scored, strict=True)
    ]
    return sum(errors) / len(errors)
