"""Signals: the ones waiting for a decision (Approve / Reject, countdown to expiry) and
the history, filtered by symbol, status, mode and date."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from fastapi import Request
from nicegui import ui

from core.agent.engine import Engine, EngineError
from core.base.types import OrderStatus, TradingMode, TradingSignal
from webui.formatting import countdown, money, when
from webui.frame import frame, live
from webui.security import client_origin
from webui.state import WebState

HISTORY_COLUMNS = [
    {"name": "created", "label": "Created", "field": "created", "align": "left"},
    {"name": "symbol", "label": "Symbol", "field": "symbol", "align": "left"},
    {"name": "type", "label": "Type", "field": "type"},
    {"name": "quantity", "label": "Qty", "field": "quantity"},
    {"name": "price", "label": "Price", "field": "price"},
    {"name": "confidence", "label": "Confidence", "field": "confidence"},
    {"name": "mode", "label": "Mode", "field": "mode"},
    {"name": "status", "label": "Status", "field": "status"},
    {"name": "id", "label": "Signal", "field": "id", "align": "left"},
]


def register(state: WebState) -> None:
    @ui.page("/signals")
    def signals_page(request: Request) -> None:
        with frame(state, "Signals") as engine:
            if engine is None:
                return
            origin = client_origin(request)
            ui.label("Waiting for you").classes("text-lg font-semibold")
            live(state, lambda: _pending(state, engine, origin))
            ui.label("History").classes("text-lg font-semibold")
            _history(engine)


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

    with (
        ui.card().classes("w-full").mark(f"pending-{signal.id}"),
        ui.row().classes("w-full items-center justify-between"),
    ):
        with ui.column().classes("gap-0"):
            ui.label(
                f"{signal.signal_type.value.upper()} {signal.quantity} {signal.symbol} "
                f"at ~{money(signal.price)}"
            ).classes("text-lg font-semibold").mark("pending-title")
            ui.label(
                f"confidence {signal.confidence:.1%} · stop {money(signal.stop_price)} · "
                f"risk {money(signal.risk_amount)} · mode {signal.mode.value}"
            ).classes("text-sm")
            if signal.reasons:
                ui.label("; ".join(signal.reasons)).classes("text-sm opacity-70")
            ui.label(signal.id).classes("text-xs opacity-60 signal-id")
        with ui.row().classes("items-center gap-2"):
            left = ui.label(countdown(signal.expires_at - engine.now())).mark("countdown")
            left.tooltip("time left to decide, on the agent's clock")
            ui.timer(1.0, lambda: left.set_text(countdown(signal.expires_at - engine.now())))
            buttons = [
                ui.button("Approve", color="positive", on_click=lambda: decide(True)).mark(
                    f"approve-{signal.id}"
                ),
                ui.button("Reject", color="negative", on_click=lambda: decide(False))
                .props("outline")
                .mark(f"reject-{signal.id}"),
            ]


def _history(engine: Engine) -> None:
    with ui.row().classes("items-end gap-3"):
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
        since = ui.input("Since (YYYY-MM-DD)").classes("w-40").mark("filter-since")
        problem = ui.label("").classes("text-negative")
    table = (
        ui.table(columns=HISTORY_COLUMNS, rows=[], row_key="id", pagination=25)
        .classes("w-full")
        .mark("history-table")
    )

    async def load() -> None:
        problem.text = ""
        start = None
        if since.value:
            try:
                start = datetime.combine(date.fromisoformat(since.value), time(), tzinfo=UTC)
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
                "created": when(s.created_at),
                "symbol": s.symbol,
                "type": s.signal_type.value,
                "quantity": s.quantity,
                "price": money(s.price),
                "confidence": f"{s.confidence:.1%}",
                "mode": s.mode.value,
                "status": s.status.value,
                "id": s.id,
            }
            for s in rows
        ]
        table.update()

    for control in (symbol, status, mode, since):
        control.on_value_change(load)
    ui.timer(3.0, load)
