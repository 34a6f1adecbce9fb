"""The Engine: the one service every front end calls (DESIGN §3).

Telegram handlers and web pages parse input, call a method here and format the answer.
Each method returns plain typed data or raises an `EngineError` whose message is fit to
show a person. The rules live in their own modules (`approval`, `controls`, `reports`,
the session lifecycle); the Engine is their facade and runs them off the event loop,
so front ends stay responsive. It is handed its collaborators by the composition root.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Concatenate, ParamSpec, TypeVar

import pandas as pd

from core.agent import approval, controls, reports, review
from core.agent.approval import Decision, QueuedOrder
from core.agent.backtest_requests import BacktestRequest, BacktestRunView, BacktestService
from core.agent.order_choices import OrderChange, OrderChoices, Timing, choices_for
from core.agent.performance import PerformanceSeries
from core.agent.pipeline import CycleAction, CycleReport
from core.agent.predictor import Predictor
from core.agent.reports import (
    EquityPoint,
    ModelReport,
    PnlPeriod,
    PnlReport,
    PositionView,
    StatusReport,
    Trade,
)
from core.agent.review import ReviewedDecision, ReviewPeriod, ReviewReport
from core.agent.services import Services
from core.agent.session import SessionLifecycle
from core.agent.signal_policy import why_it_asks
from core.base.errors import (
    AlreadyDecided,
    EngineError,
    InvalidRequest,
    NotAllowed,
    NotFound,
    SignalExpiredError,
)
from core.base.events import Event
from core.base.settings import RuntimeSettings
from core.base.types import SYMBOL_PATTERN, KillScope, TradingMode, TradingSignal, TradingStatus
from ml.registry import is_proven
from storage import audit, messages

# Front ends import the Engine's vocabulary from here (DESIGN §1: core.agent.engine + base).
__all__ = [
    "AlreadyDecided",
    "BacktestRequest",
    "BacktestRunView",
    "CycleAction",
    "CycleReport",
    "Decision",
    "Engine",
    "EngineError",
    "EquityPoint",
    "InvalidRequest",
    "ModelReport",
    "NotAllowed",
    "NotFound",
    "OrderChange",
    "OrderChoices",
    "PerformanceSeries",
    "PnlPeriod",
    "PnlReport",
    "PositionView",
    "QueuedOrder",
    "ReviewPeriod",
    "ReviewReport",
    "ReviewedDecision",
    "SignalExpiredError",
    "StatusReport",
    "Timing",
    "Trade",
]

P = ParamSpec("P")
T = TypeVar("T")


def off_loop(
    method: Callable[Concatenate[Engine, P], T],
) -> Callable[Concatenate[Engine, P], Awaitable[T]]:
    """The Engine method, awaited by front ends, run in a worker thread (SQLite and
    broker calls block)."""

    @functools.wraps(method)
    async def run(self: Engine, *args: P.args, **kwargs: P.kwargs) -> T:
        return await asyncio.to_thread(method, self, *args, **kwargs)

    return run


class Engine:
    def __init__(
        self,
        services: Services,
        session: SessionLifecycle,
        backtests: BacktestService,
        *,
        viewers: frozenset[str] = frozenset(),
    ) -> None:
        self.services = services
        self.session = session
        self.backtests = backtests
        self.viewers = viewers
        """Actors who may read everything and change nothing (`telegram:<id>` of
        TELEGRAM_VIEWERS, `web:viewer` of the read-only password)."""
        self.next_runs: Callable[[], dict[str, datetime | None]] = dict
        """Set by the scheduler: the next time of each job."""
        self.telegram_connected: bool | None = None
        """Set by the Telegram front end; None when it is not configured."""
        self.page_viewers = 0
        """Set by the web page: how many browser tabs are open on it now."""

    @property
    def predictor(self) -> Predictor:
        return self.session.predictor

    @predictor.setter
    def predictor(self, value: Predictor) -> None:
        self.session.predictor = value

    def now(self) -> datetime:
        """The agent's time (simulated in the demo and backtests)."""
        return self.services.clock.now()

    def subscribe(self) -> asyncio.Queue[Event]:
        return self.services.bus.subscribe()

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        self.services.bus.unsubscribe(queue)

    def settings(self) -> RuntimeSettings:
        return self.services.runtime.get()

    @property
    def timezone(self) -> str:
        """The owner's time zone: dates and times are shown in it."""
        return self.services.settings.trading.timezone

    def someone_can_answer(self) -> bool:
        """A person could decide a waiting signal now (Telegram up, or a page open)."""
        return bool(self.telegram_connected) or self.page_viewers > 0

    def is_viewer(self, actor: str) -> bool:
        return actor in self.viewers

    def _only_the_owner(self, actor: str, action: str, origin: str | None) -> None:
        """Viewers may read, never change: refused and audited."""
        if actor in self.viewers:
            self.services.store.audit.record(
                actor,
                "refused",
                {"action": action, "why": "viewers may not change anything"},
                origin=origin,
                at=self.services.clock.now(),
            )
            raise NotAllowed(f"{action}: you may look, not change anything")

    # -- reading -------------------------------------------------------------------

    @off_loop
    def status(self) -> StatusReport:
        return reports.status(
            self.services, next_runs=self.next_runs(), telegram=self.telegram_connected
        )

    @off_loop
    def positions(self) -> list[PositionView]:
        return reports.positions(self.services)

    @off_loop
    def pending_signals(self) -> list[TradingSignal]:
        return self.services.store.signals.pending(self.services.clock.now())

    @off_loop
    def signal_history(
        self,
        *,
        limit: int = 100,
        symbol: str | None = None,
        status: str | None = None,
        mode: str | None = None,
        since: datetime | None = None,
    ) -> list[TradingSignal]:
        return self.services.store.signals.history(
            limit=limit, symbol=symbol, status=status, mode=mode, since=since
        )

    @off_loop
    def signal(self, signal_id: str) -> TradingSignal:
        return approval.load_signal(self.services.store, signal_id)

    def decision_deadline(self, signal: TradingSignal) -> datetime:
        """When the signal stops waiting, in wall-clock time (for countdowns)."""
        return self.services.window.deadline(signal)

    @off_loop
    def order_choices(self, signal_id: str) -> OrderChoices:
        """What may be changed before approving, and whether the market is open."""
        signal = approval.load_signal(self.services.store, signal_id)
        s = self.services
        quote = s.data.latest_prices([signal.symbol]).get(signal.symbol)
        return choices_for(
            signal,
            quote,
            market_open=s.market_is_open(),
            next_open=approval.next_open(s),
        )

    @off_loop
    def review(self, period: ReviewPeriod = "week") -> ReviewReport:
        """What the owner's decisions did against full auto (`core.agent.review`)."""
        return review.review(self.services, period)

    @off_loop
    def queued_orders(self) -> list[approval.QueuedOrder]:
        """Orders approved for the next open, waiting for their time."""
        return approval.queued_orders(self.services.store)

    @off_loop
    def pnl(self, period: PnlPeriod = "today") -> PnlReport:
        return reports.pnl(self.services, period)

    @off_loop
    def trades(self, *, limit: int = 200, symbol: str | None = None) -> list[Trade]:
        return reports.trades(self.services, limit, symbol)

    @off_loop
    def equity_curve(self) -> list[EquityPoint]:
        return reports.equity_curve(self.services)

    @off_loop
    def performance(self) -> dict[str, float | None]:
        return reports.performance(self.services)

    @off_loop
    def performance_series(self) -> PerformanceSeries:
        """Equity per session beside buy-and-hold of the traded symbols, drawdown, P&L."""
        return reports.performance_chart(self.services)

    @off_loop
    def model_report(self) -> ModelReport:
        return reports.model_report(self.services)

    @off_loop
    def audit_log(self, limit: int = 200) -> list[audit.AuditEvent]:
        return audit.recent(limit)

    async def bars(self, symbol: str, sessions: int = 90) -> pd.DataFrame:
        """Recent daily bars of a symbol, for charts."""
        symbol = symbol.upper()
        if not re.fullmatch(SYMBOL_PATTERN, symbol):
            raise InvalidRequest(f"{symbol!r} is not a ticker")
        now = self.services.clock.now()
        start = now - timedelta(days=int(sessions * 365 / 252) + 10)
        frames = await asyncio.to_thread(self.services.data.get_bars, [symbol], start, now)
        frame = frames.get(symbol)
        if frame is None or frame.empty:
            raise NotFound(f"no bars for {symbol}")
        return frame.iloc[-sessions:]

    @off_loop
    def audit(
        self, actor: str, action: str, details: Mapping[str, Any], origin: str | None = None
    ) -> None:
        """Record something a front end refused or noticed (e.g. an unknown user)."""
        self.services.store.audit.record(
            actor, action, details, origin=origin, at=self.services.clock.now()
        )

    @off_loop
    def remember_message(self, signal_id: str, chat_id: int, message_id: int) -> None:
        messages.remember(signal_id, chat_id, message_id, self.services.clock.now())

    @off_loop
    def messages_for(self, signal_id: str) -> list[tuple[int, int]]:
        return messages.for_signal(signal_id)

    # -- deciding ----------------------------------------------------------------------

    @off_loop
    def approve(
        self,
        signal_id: str,
        actor: str,
        origin: str | None = None,
        *,
        change: OrderChange | None = None,
        timing: Timing = "now",
    ) -> Decision:
        """Approve as proposed, or changed (half size, a limit, a tighter stop), to go
        out now, at the next open, or for extended hours."""
        self._only_the_owner(actor, "approve", origin)
        return approval.approve(
            self.services, signal_id, actor, origin, change=change, timing=timing
        )

    @off_loop
    def reject(self, signal_id: str, actor: str, origin: str | None = None) -> Decision:
        self._only_the_owner(actor, "reject", origin)
        return approval.reject(self.services, signal_id, actor, origin)

    @off_loop
    def cancel_queued(self, signal_id: str, actor: str, origin: str | None = None) -> Decision:
        """Withdraw an order approved for the open before it goes out."""
        self._only_the_owner(actor, "cancel", origin)
        return approval.cancel_queued(self.services, signal_id, actor, origin)

    # -- controlling ---------------------------------------------------------------------

    @off_loop
    def set_mode(self, mode: str, actor: str, origin: str | None = None) -> TradingMode:
        self._only_the_owner(actor, "mode", origin)
        return controls.set_mode(self.services, mode, actor, origin)

    def model_proven(self) -> bool:
        """Whether the model in use earned autonomy (its grade, from its manifest)."""
        return is_proven(self.services.models.manifest)

    def model_manifest(self) -> dict[str, Any]:
        """The model in use's manifest (grade, typical, ...) without the live scoring
        `model_report` does."""
        return dict(self.services.models.manifest)

    def mode_caveat(self, mode: TradingMode | None = None) -> str | None:
        """Why `mode` (default: the current one) asks where its name says it would
        act alone: the model in use has not proven an edge out of sample."""
        chosen = mode or self.services.runtime.get().mode
        return why_it_asks(chosen, proven=is_proven(self.services.models.manifest))

    async def kill(
        self, scope: KillScope | str, actor: str, origin: str | None = None
    ) -> TradingStatus:
        await asyncio.to_thread(self._only_the_owner, actor, "kill", origin)
        try:
            chosen = KillScope(scope)
        except ValueError as error:
            raise InvalidRequest(f"kill scope {scope!r}: use stop or flatten") from error
        return await asyncio.to_thread(controls.kill, self.services, chosen, actor, origin)

    @off_loop
    def resume(self, actor: str, origin: str | None = None) -> TradingStatus:
        self._only_the_owner(actor, "resume", origin)
        return controls.resume(self.services, actor, origin)

    @off_loop
    def update_settings(
        self, changes: Mapping[str, Any], actor: str, origin: str | None = None
    ) -> RuntimeSettings:
        self._only_the_owner(actor, "settings", origin)
        return controls.update_settings(self.services, changes, actor, origin)

    # -- running -------------------------------------------------------------------------

    def run_cycle_now(self) -> CycleReport:
        """The decision step of the session lifecycle, now (blocking)."""
        return self.session.at_decision()

    async def run_cycle(self, actor: str = "system", origin: str | None = None) -> CycleReport:
        await asyncio.to_thread(self._only_the_owner, actor, "run a cycle", origin)
        await self.audit(actor, "cycle.run", {}, origin)
        return await asyncio.to_thread(self.run_cycle_now)

    # -- backtests -----------------------------------------------------------------------

    async def start_backtest(
        self, request: BacktestRequest, actor: str, origin: str | None = None
    ) -> str:
        await asyncio.to_thread(self._only_the_owner, actor, "backtest", origin)
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
