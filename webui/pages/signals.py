"""Signals: the ones waiting for a decision (a card each: the model's view, the
countdown, Approve / Reject and the changes — `webui.signal_card`), orders queued for
the open with Cancel, and the history, filtered by symbol, status, mode and date.

The waiting cards are kept by signal id rather than redrawn on every refresh of the
live snapshot: a limit being typed, a dialog open or a countdown keep their place while
other signals come and go."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time

from fastapi import Request
from nicegui import ui

from core.agent.engine import Engine, EngineError, OrderChoices
from core.base.types import OrderStatus, TradingMode, TradingSignal
from webui.access import visitor
from webui.formatting import money, shares, when
from webui.frame import frame, responsive_table
from webui.queued_list import QueuedList
from webui.security import client_origin
from webui.signal_card import CardContext, SignalCard
from webui.state import WebState

# The columns that matter most come first: on a phone they are the top of each card.
HISTORY_COLUMNS = [
    {"name": "symbol", "label": "Symbol", "field": "symbol", "align": "left"},
    {"name": "type", "label": "Side", "field": "type", "align": "left"},
    {"name": "status", "label": "Status", "field": "status", "align": "left"},
    {"name": "created", "label": "Created", "field": "created", "align": "left"},
    {"name": "quantity", "label": "Shares", "field": "quantity"},
    {"name": "price", "label": "Price", "field": "price"},
    {"name": "view", "label": "Model's view", "field": "view"},
    {"name": "mode", "label": "Mode", "field": "mode", "align": "left"},
    {"name": "id", "label": "Signal", "field": "id", "align": "left"},
]


def register(state: WebState) -> None:
    @ui.page("/signals")
    async def signals_page(request: Request) -> None:
        with frame(state, "Signals", "/signals") as engine:
            if engine is None:
                return
            ctx = CardContext(
                state, engine, visitor(), client_origin(request), engine.model_proven()
            )
            ui.label("Waiting for you").classes("text-lg font-semibold")
            waiting = _Waiting(ctx)
            ui.label("Queued for the open").classes("text-lg font-semibold")
            queued = QueuedList(state, engine, ctx.who, ctx.origin)
            await waiting.sync()
            await queued.sync()
            _follow(state, waiting, queued)
            ui.label("History").classes("text-lg font-semibold")
            _history(engine, state)


def _follow(state: WebState, waiting: _Waiting, queued: QueuedList) -> None:
    """Catch up with the snapshot when it changes; one catch-up at a time."""
    seen = {"version": state.snapshot.version}
    busy = asyncio.Lock()

    async def check() -> None:
        if state.snapshot.version == seen["version"] or busy.locked():
            return
        async with busy:
            seen["version"] = state.snapshot.version
            await waiting.sync()
            await queued.sync()

    ui.timer(1.0, check)


class _Waiting:
    """The waiting signals' cards, by id: new ones added, gone ones closed in place."""

    def __init__(self, ctx: CardContext) -> None:
        self.ctx = ctx
        self.cards: dict[str, SignalCard] = {}
        self.empty = ui.label("No signal is waiting.").classes("opacity-70").mark("no-pending")
        self.column = ui.column().classes("w-full gap-2").mark("pending-list")

    async def sync(self) -> None:
        pending: dict[str, TradingSignal] = {s.id: s for s in self.ctx.state.snapshot.pending}
        self.empty.set_visibility(not pending)
        for signal_id, card in list(self.cards.items()):
            if signal_id not in pending and not card.closed:
                await card.stopped_waiting()
        for signal_id, signal in pending.items():
            if signal_id in self.cards:
                continue
            choices: OrderChoices | None
            try:
                choices = await self.ctx.engine.order_choices(signal_id)
            except EngineError:
                choices = None  # Approve and Reject still work; the Engine re-checks
            with self.column:
                self.cards[signal_id] = SignalCard(self.ctx, signal, choices)


def _history(engine: Engine, state: WebState) -> None:
    zone = state.zone
    with ui.row().classes("w-full items-end gap-x-3 gap-y-0"):
        symbol = ui.input("Symbol").classes("w-28").mark("filter-symbol")
        status = (
            ui.select(["", *[s.value for s in OrderStatus]], label="Status", value="")
            .classes("w-40")
            .mark("filter-status")
        )
        mode = (
            ui.select(["", *[m.value for m in TradingMode]], label="Mode", value="")
            .classes("w-32")
            .mark("filter-mode")
        )
        since = ui.input("Since").props("type=date").classes("w-40").mark("filter-since")
        problem = ui.label("").classes("text-negative")
    table = responsive_table(HISTORY_COLUMNS, [], "id", pagination=25).mark("history-table")

    async def load() -> None:
        problem.text = ""
        start = None
        if since.value:
            try:
                start = datetime.combine(date.fromisoformat(since.value), time(), tzinfo=zone)
            except ValueError:
                problem.text = f"since {since.value!r}: use a date like 2026-01-31"
                return
        try:
            rows = await engine.signal_history(
                limit=500,
                symbol=(symbol.value or "").strip() or None,
                status=status.value or None,
                mode=mode.value or None,
                since=start,
            )
        except EngineError as error:
            problem.text = str(error)
            return
        table.rows = [
            {
                "created": when(s.created_at, zone),
                "symbol": s.symbol,
                "type": s.signal_type.value,
                "quantity": shares(s.quantity),
                "price": money(s.price),
                "view": _stated(s),
                "mode": s.mode.value,
                "status": s.status.value.replace("_", " "),
                "id": s.id,
            }
            for s in rows
        ]
        table.update()

    for control in (symbol, status, mode, since):
        control.on_value_change(load)
    ui.timer(3.0, load)


def _stated(signal: TradingSignal) -> str:
    """What the model said, against its typical: `P(profit) 0.58 (typical 0.54)`."""
    p = signal.prediction
    if p is None:
        return "—"
    if p.target == "plan":
        typical = f" (typical {p.base_rate:.2f})" if p.base_rate is not None else ""
        return f"P(profit) {p.probability_up:.2f}{typical}"
    return f"P(higher) {p.probability_up:.2f}"
