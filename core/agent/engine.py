"""The Engine: the one service every front end calls (DESIGN §3).

Telegram handlers and web pages parse input, call a method here and format the answer.
Each method returns plain typed data or raises an `EngineError` whose message is fit to
show a person. Rules — validation, audit, re-checks — live here once. Blocking work
(SQLite, broker HTTP, models) runs in a worker thread, so front ends stay responsive.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, TypeVar

import pandas as pd

from core.agent import approval
from core.agent.approval import Decision
from core.drivers.backtest_jobs import BacktestJobs, BacktestRequest, BacktestRunView
from core.base.clock import LiveClock
from core.base.errors import AlreadyDecided, EngineError, InvalidRequest, NotFound, SignalExpiredError
from core.base.events import Event, ModeChanged, TradingStateChanged
from core.agent.performance import PerformanceSeries, performance_series
from core.agent.pipeline import CycleReport, run_cycle
from core.agent.predictor import Predictor
from core.agent.services import Services
from core.base.settings import RuntimeSettings, SettingsError, apply_overrides
from core.base.types import (
    SYMBOL_PATTERN,
    KillScope,
    OrderStatus,
    TradingMode,
    TradingSignal,
    TradingStatus,
)
from risk.daily_loss import session_of
from risk.metrics import max_drawdown, period_returns, sharpe
from risk.trading_state import kill as plan_kill
from risk.trading_state import resume as plan_resume
from storage import audit, book, equity, messages, orders, overrides
from storage import predictions as stored_predictions
from storage.bot_state import load_session_start, load_trading_status, save_trading_status
from storage.models import Signal
from storage.signals import to_domain

# Front ends import the Engine's vocabulary from here (DESIGN §1: core.agent.engine + base).
__all__ = [
    "AlreadyDecided",
    "BacktestRequest",
    "BacktestRunView",
    "Decision",
    "Engine",
    "EngineError",
    "EquityPoint",
    "InvalidRequest",
    "ModelReport",
    "NotFound",
    "PerformanceSeries",
    "PnlPeriod",
    "PnlReport",
    "PositionView",
    "SignalExpiredError",
    "StatusReport",
    "Trade",
]

T = TypeVar("T")
log = logging.getLogger(__name__)
PnlPeriod = Literal["today", "week", "month", "all"]


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
    live_scored: int
    live_by_week: list[tuple[date, float, int]] = field(default_factory=list)


def _parse_override(key: str, value: Any) -> Any:
    """Values typed in a chat arrive as text; the settings model validates the rest."""
    if isinstance(value, str) and key == "symbols":
        return value
    if isinstance(value, str) and value.lower() in ("none", "null", ""):
        return None
    return value


class Engine:
    def __init__(self, services: Services, predictor: Predictor) -> None:
        self.services = services
        self.predictor = predictor
        self.next_runs: Callable[[], dict[str, datetime | None]] = dict
        """Set by the scheduler: the next time of each job."""
        self.telegram_connected: bool | None = None
        """Set by the Telegram front end; None when it is not configured."""
        # Backtests run on real dates (a demo's simulated clock is not "today").
        self.backtests = BacktestJobs(services.settings, LiveClock())

    async def _run(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(function, *args)

    def now(self) -> datetime:
        """The agent's time (simulated in the demo and backtests)."""
        return self.services.clock.now()

    def subscribe(self) -> asyncio.Queue[Event]:
        return self.services.bus.subscribe()

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        self.services.bus.unsubscribe(queue)

    # -- reading -------------------------------------------------------------------

    def _status(self) -> StatusReport:
        s = self.services
        account = s.broker.get_account()
        held = book.open_positions()
        stored = load_session_start()
        start = stored[1] if stored else account.equity
        pending = Signal.select().where(Signal.status == OrderStatus.PENDING.value).count()
        _, run_id = s.models.current()
        return StatusReport(
            mode=s.runtime.get().mode,
            trading=load_trading_status(),
            equity=account.equity,
            cash=account.cash,
            exposure=account.equity - account.cash,
            daily_pnl=account.equity - start,
            daily_pnl_pct=(account.equity / start - 1.0) if start else 0.0,
            positions=len(held),
            pending_signals=pending,
            next_runs=self.next_runs(),
            data_provider=s.data.name,
            broker=s.broker.name,
            account_mode=s.mode_label,
            model_run=run_id,
            reconciled=s.orders.healthy,
            telegram_connected=self.telegram_connected,
        )

    async def status(self) -> StatusReport:
        return await self._run(self._status)

    def _positions(self) -> list[PositionView]:
        rows = book.open_positions()
        quotes = self.services.data.latest_prices([r.symbol for r in rows]) if rows else {}
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

    async def positions(self) -> list[PositionView]:
        return await self._run(self._positions)

    def _pending(self) -> list[TradingSignal]:
        now = self.services.clock.now()
        rows = (
            Signal.select()
            .where((Signal.status == OrderStatus.PENDING.value) & (Signal.expires_at > now))
            .order_by(Signal.created_at)
        )
        return [to_domain(r) for r in rows]

    async def pending_signals(self) -> list[TradingSignal]:
        return await self._run(self._pending)

    def _history(
        self,
        limit: int,
        symbol: str | None,
        status: str | None,
        mode: str | None,
        since: datetime | None,
    ) -> list[TradingSignal]:
        query = Signal.select().order_by(Signal.created_at.desc())
        if symbol:
            query = query.where(Signal.symbol == symbol.upper())
        if status:
            query = query.where(Signal.status == status)
        if mode:
            query = query.where(Signal.mode == mode)
        if since:
            query = query.where(Signal.created_at >= since)
        return [to_domain(r) for r in query.limit(limit)]

    async def signal_history(
        self,
        *,
        limit: int = 100,
        symbol: str | None = None,
        status: str | None = None,
        mode: str | None = None,
        since: datetime | None = None,
    ) -> list[TradingSignal]:
        return await self._run(self._history, limit, symbol, status, mode, since)

    async def signal(self, signal_id: str) -> TradingSignal:
        return await self._run(approval.load_signal, signal_id)

    def _period_start(self, period: PnlPeriod) -> datetime | None:
        now = self.services.clock.now()
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

    def _pnl(self, period: PnlPeriod) -> PnlReport:
        start = self._period_start(period)
        account = self.services.broker.get_account()
        if period == "today":
            stored = load_session_start()
            start_equity = stored[1] if stored else account.equity
        else:
            before = equity.latest_before(start) if start else None
            first = equity.curve()[:1]
            start_equity = (
                before.equity
                if before
                else first[0].equity
                if first
                else self.services.settings.trading.initial_capital
            )
        fills = orders.fills_since(start or datetime(1970, 1, 1, tzinfo=UTC))
        realized = book.realized_since(start)
        pnl = account.equity - start_equity
        return PnlReport(
            period=period,
            start=start,
            start_equity=start_equity,
            end_equity=account.equity,
            pnl=pnl,
            pnl_pct=pnl / start_equity if start_equity else 0.0,
            realized=realized,
            trades=len(fills),
        )

    async def pnl(self, period: PnlPeriod = "today") -> PnlReport:
        return await self._run(self._pnl, period)

    def _trades(self, limit: int, symbol: str | None) -> list[Trade]:
        rows = orders.fills_since(datetime(1970, 1, 1, tzinfo=UTC))
        out = [
            Trade(
                symbol=f.symbol,
                side=f.side,
                quantity=f.quantity,
                price=f.price,
                commission=f.commission,
                at=f.filled_at,
                client_order_id=f.order.client_order_id,
                signal_id=f.order.signal_id,
            )
            for f in rows
            if symbol is None or f.symbol == symbol.upper()
        ]
        return list(reversed(out))[:limit]

    async def trades(self, *, limit: int = 200, symbol: str | None = None) -> list[Trade]:
        return await self._run(self._trades, limit, symbol)

    def _equity_curve(self) -> list[EquityPoint]:
        return [EquityPoint(r.timestamp, r.equity, r.cash, r.daily_pnl) for r in equity.curve()]

    async def equity_curve(self) -> list[EquityPoint]:
        return await self._run(self._equity_curve)

    def _performance(self) -> dict[str, float | None]:
        values = [p.equity for p in self._equity_curve()]
        return {
            "sharpe": sharpe(period_returns(values)),
            "max_drawdown": max_drawdown(values) if values else None,
        }

    async def performance(self) -> dict[str, float | None]:
        return await self._run(self._performance)

    def _performance_series(self) -> PerformanceSeries:
        closing: dict[date, tuple[float, float]] = {}
        for row in equity.curve():
            closing[session_of(row.timestamp)] = (row.equity, row.daily_pnl)  # last one wins
        days = sorted(closing)
        history: dict[str, pd.DataFrame] = {}
        if days:
            symbols = list(self.services.runtime.get().symbols)
            start = datetime.combine(days[0] - timedelta(days=7), time(), tzinfo=UTC)
            try:
                history = self.services.data.get_bars(symbols, start, self.services.clock.now())
            except Exception as error:  # the chart still shows equity without a benchmark
                log.warning("benchmark prices unavailable", extra={"error": str(error)})
        return performance_series([(d, *closing[d]) for d in days], history)

    async def performance_series(self) -> PerformanceSeries:
        """Equity per session beside buy-and-hold of the traded symbols, drawdown, P&L."""
        return await self._run(self._performance_series)

    def _model_report(self) -> ModelReport:
        models = self.services.models
        scored = stored_predictions.scored()
        hits = [int((p.probability_up >= 0.5) == bool(p.outcome)) for p in scored]
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
        )

    async def model_report(self) -> ModelReport:
        return await self._run(self._model_report)

    async def audit_log(self, limit: int = 200) -> list[audit.AuditEvent]:
        return await self._run(audit.recent, limit)

    async def bars(self, symbol: str, sessions: int = 90) -> pd.DataFrame:
        """Recent daily bars of a symbol, for charts."""
        symbol = symbol.upper()
        if not re.fullmatch(SYMBOL_PATTERN, symbol):
            raise InvalidRequest(f"{symbol!r} is not a ticker")
        now = self.services.clock.now()
        start = now - timedelta(days=int(sessions * 365 / 252) + 10)
        frames = await self._run(self.services.data.get_bars, [symbol], start, now)
        frame = frames.get(symbol)
        if frame is None or frame.empty:
            raise NotFound(f"no bars for {symbol}")
        return frame.iloc[-sessions:]

    async def audit(
        self, actor: str, action: str, details: Mapping[str, Any], origin: str | None = None
    ) -> None:
        """Record something a front end refused or noticed (e.g. an unknown user)."""
        await self._run(
            lambda: audit.record(
                actor, action, details, origin=origin, at=self.services.clock.now()
            )
        )

    async def remember_message(self, signal_id: str, chat_id: int, message_id: int) -> None:
        await self._run(
            messages.remember, signal_id, chat_id, message_id, self.services.clock.now()
        )

    async def messages_for(self, signal_id: str) -> list[tuple[int, int]]:
        return await self._run(messages.for_signal, signal_id)

    # -- deciding ----------------------------------------------------------------------

    async def approve(
        self, signal_id: str, actor: str, origin: str | None = None
    ) -> approval.Decision:
        return await self._run(approval.approve, self.services, signal_id, actor, origin)

    async def reject(
        self, signal_id: str, actor: str, origin: str | None = None
    ) -> approval.Decision:
        return await self._run(approval.reject, self.services, signal_id, actor, origin)

    # -- controlling ---------------------------------------------------------------------

    def _set_mode(self, mode: str, actor: str, origin: str | None) -> TradingMode:
        try:
            chosen = TradingMode(mode.lower())
        except ValueError as error:
            raise InvalidRequest(f"mode {mode!r}: use auto, manual or hybrid") from error
        self._update_settings({"mode": chosen.value}, actor, origin)
        self.services.bus.publish(ModeChanged(mode=chosen, actor=actor))
        return chosen

    async def set_mode(self, mode: str, actor: str, origin: str | None = None) -> TradingMode:
        return await self._run(self._set_mode, mode, actor, origin)

    def _kill(self, scope: KillScope, actor: str, origin: str | None) -> TradingStatus:
        s = self.services
        current = load_trading_status()
        plan = plan_kill(current, scope, actor=actor, now=s.clock.now())
        save_trading_status(plan.status, origin=origin)
        s.bus.publish(TradingStateChanged(status=plan.status, previous=current.state))
        if plan.cancel_open_orders:
            s.orders.cancel_open()
        if plan.close_all_positions:
            s.orders.flatten(actor=actor)
        return plan.status

    async def kill(
        self, scope: KillScope | str, actor: str, origin: str | None = None
    ) -> TradingStatus:
        try:
            chosen = KillScope(scope)
        except ValueError as error:
            raise InvalidRequest(f"kill scope {scope!r}: use stop or flatten") from error
        return await self._run(self._kill, chosen, actor, origin)

    def _resume(self, actor: str, origin: str | None) -> TradingStatus:
        s = self.services
        current = load_trading_status()
        status = plan_resume(current, actor=actor, now=s.clock.now())
        save_trading_status(status, origin=origin)
        s.bus.publish(TradingStateChanged(status=status, previous=current.state))
        return status

    async def resume(self, actor: str, origin: str | None = None) -> TradingStatus:
        return await self._run(self._resume, actor, origin)

    def settings(self) -> RuntimeSettings:
        return self.services.runtime.get()

    def _update_settings(
        self, changes: Mapping[str, Any], actor: str, origin: str | None
    ) -> RuntimeSettings:
        parsed = {key: _parse_override(key, value) for key, value in changes.items()}
        try:
            updated = apply_overrides(self.services.runtime.get(), parsed)
        except SettingsError as error:
            raise InvalidRequest(str(error), error.fields) from error
        stored = updated.model_dump(mode="json", include=set(parsed))
        overrides.save_overrides(stored, actor, origin=origin, now=self.services.clock.now())
        self.services.runtime.set(updated)
        return updated

    async def update_settings(
        self, changes: Mapping[str, Any], actor: str, origin: str | None = None
    ) -> RuntimeSettings:
        return await self._run(self._update_settings, changes, actor, origin)

    # -- running -------------------------------------------------------------------------

    def run_cycle_now(self) -> CycleReport:
        return run_cycle(self.services, self.predictor)

    async def run_cycle(self, actor: str = "system", origin: str | None = None) -> CycleReport:
        await self.audit(actor, "cycle.run", {}, origin)
        return await self._run(self.run_cycle_now)

    # -- backtests -----------------------------------------------------------------------

    async def start_backtest(
        self, request: BacktestRequest, actor: str, origin: str | None = None
    ) -> str:
        run_id = await self.backtests.start(request, actor)
        stored = await self.backtests.get(run_id)  # the checked, normalised request
        await self.audit(actor, "backtest.start", {"run_id": run_id, **stored.request}, origin)
        return run_id

    async def backtest_runs(self, limit: int = 20) -> list[BacktestRunView]:
        return await self.backtests.recent(limit)

    async def backtest_run(self, run_id: str) -> BacktestRunView:
        return await self.backtests.get(run_id)

    async def shutdown(self) -> None:
        """Stop work the Engine started itself (backtests); the owner stops the rest."""
        await self.backtests.stop()
