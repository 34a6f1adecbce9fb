"""Signals: the ones waiting for a decision (Approve / Reject, countdown to expiry) and
the history, filtered by symbol, status, mode and date.

A waiting signal is a card built for a thumb: what it is and how long is left, what it
means in dollars, the model's view and its reasons in words, then a row of actions that
wraps — so more actions (half size, a limit, a tighter stop) can join Approve and Reject
without widening the card."""

from __future__ import annotations

from datetime import date, datetime, time

from fastapi import Request
from nicegui import ui

from core.agent.engine import Engine, EngineError
from core.base import explain
from core.base.types import OrderStatus, TradingMode, TradingSignal
from webui.formatting import chance, countdown, money, shares, when
from webui.frame import frame, live, responsive_table
from webui.security import client_origin
from webui.state import WebState

# The columns that matter most come first: on a phone they are the top of each card.
HISTORY_COLUMNS = [
    {"name": "symbol", "label": "Symbol", "field": "symbol", "align": "left"},
    {"name": "type", "label": "Side", "field": "type", "align": "left"},
    {"name": "status", "label": "Status", "field": "status", "align": "left"},
    {"name": "created", "label": "Created", "field": "created", "align": "left"},
    {"name": "quantity", "label": "Shares", "field": "quantity"},
    {"name": "price", "label": "Price", "field": "price"},
    {"name": "confidence", "label": "Confidence", "field": "confidence"},
    {"name": "mode", "label": "Mode", "field": "mode", "align": "left"},
    {"name": "id", "label": "Signal", "field": "id", "align": "left"},
]


def register(state: WebState) -> None:
    @ui.page("/signals")
    def signals_page(request: Request) -> None:
        with frame(state, "Signals", "/signals") as engine:
            if engine is None:
                return
            origin = client_origin(request)
            ui.label("Waiting for you").classes("text-lg font-semibold")
            live(state, lambda: _pending(state, engine, origin))
            ui.label("History").classes("text-lg font-semibold")
            _history(engine, state)


def _pending(state: WebState, engine: Engine, origin: str) -> None:
    pending = state.snapshot.pending
    if not pending:
        ui.label("No signal is waiting.").classes("opacity-70").mark("no-pending")
        return
    with ui.column().classes("w-full gap-2").mark("pending-list"):
        for signal in pending:
            _pending_card(state, engine, origin, signal)


def _pending_card(state: WebState, engine: Engine, origin: str, signal: TradingSignal) -> None:
    async def decide(approve: bool) -> None:
        for button in buttons:
            button.disable()
        try:
            call = engine.approve if approve else engine.reject
            decision = await call(signal.id, state.actor, origin)
            ui.notify(decision.message, type="positive" if approve else "info")
        except EngineError as error:
            ui.notify(str(error), type="warning")
        await state.refresh()

    status = state.snapshot.status
    held = next(
        ((p.quantity, p.entry) for p in state.snapshot.positions if p.symbol == signal.symbol),
        None,
    )
    with ui.card().classes("w-full gap-1 p-3 sm:p-4").mark(f"pending-{signal.id}"):
        with ui.row().classes("w-full items-start justify-between gap-x-3 gap-y-0 no-wrap"):
            ui.label(explain.signal_title(signal)).classes(
                "text-lg font-semibold leading-tight min-w-0"
            ).mark("pending-title")
            left = (
                ui.label(countdown(signal.expires_at - engine.now()))
                .classes("text-sm font-mono whitespace-nowrap pt-1")
                .mark("countdown")
            )
            left.tooltip("time left to decide, on the agent's clock")
            ui.timer(1.0, lambda: left.set_text(countdown(signal.expires_at - engine.now())))
        ui.label(
            f"Confidence {chance(signal.confidence)} · mode {signal.mode.value} · "
            f"expires {when(signal.expires_at, state.zone)}"
        ).classes("text-sm opacity-80")
        for line in explain.signal_money(
            signal, equity=status.equity if status else None, held=held
        ):
            ui.label(line).classes("text-sm").mark("pending-money")
        if signal.prediction is not None:
            ui.label("Model: " + explain.outlook(signal.prediction, signal.risk_amount)).classes(
                "text-sm"
            ).mark("pending-outlook")
            if votes := explain.votes(signal.prediction):
                ui.label(f"Models: {votes}").classes("text-xs opacity-70")
        for line in explain.signal_reasons(signal):
            ui.label(line).classes("text-sm opacity-80 break-words").mark("pending-reason")
        # Actions wrap onto another line rather than widen the card on a phone.
        with ui.row().classes("w-full items-center gap-2 pt-1").mark("pending-actions"):
            buttons = [
                ui.button("Approve", icon="check", color="positive", on_click=lambda: decide(True))
                .classes("grow sm:grow-0")
                .mark(f"approve-{signal.id}"),
                ui.button("Reject", icon="close", color="negative", on_click=lambda: decide(False))
                .props("outline")
                .classes("grow sm:grow-0")
                .mark(f"reject-{signal.id}"),
            ]
        ui.label(signal.id).classes("text-xs opacity-60 signal-id break-all")


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
                "confidence": chance(s.confidence),
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
