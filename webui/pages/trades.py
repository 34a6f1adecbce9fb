"""Trades: every fill, filterable by symbol and side, exported as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from fastapi import Response
from nicegui import app, ui

from core.agent.engine import Engine, EngineError, Trade
from webui.formatting import money, shares, when
from webui.frame import frame, responsive_table
from webui.state import WebState

CSV_PATH = "/export/trades.csv"
CSV_FIELDS = (
    "at",
    "symbol",
    "side",
    "quantity",
    "price",
    "commission",
    "client_order_id",
    "signal_id",
)
# The columns that matter most come first: on a phone they are the top of each card.
COLUMNS: list[dict[str, Any]] = [
    {"name": "symbol", "label": "Symbol", "field": "symbol", "align": "left", "sortable": True},
    {"name": "side", "label": "Side", "field": "side", "align": "left"},
    {"name": "quantity", "label": "Shares", "field": "quantity"},
    {"name": "price", "label": "Price", "field": "price"},
    {"name": "at", "label": "Time", "field": "at", "align": "left"},
    {"name": "commission", "label": "Commission", "field": "commission"},
    {"name": "order", "label": "Order", "field": "order", "align": "left"},
]


def trades_csv(trades: Sequence[Trade]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for t in trades:
        writer.writerow(
            [
                t.at.isoformat(),
                t.symbol,
                t.side,
                t.quantity,
                t.price,
                t.commission,
                t.client_order_id,
                t.signal_id or "",
            ]
        )
    return out.getvalue()


def register(state: WebState) -> None:
    @app.get(CSV_PATH)
    async def export_trades(symbol: str | None = None) -> Response:
        engine = state.engine
        if engine is None:
            return Response("the agent is starting", status_code=503)
        try:
            trades = await engine.trades(limit=100_000, symbol=symbol or None)
        except EngineError as error:
            return Response(str(error), status_code=400)
        return Response(
            trades_csv(trades),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="stockbot-trades.csv"'},
        )

    @ui.page("/trades")
    def trades_page() -> None:
        with frame(state, "Trades", "/trades") as engine:
            if engine is None:
                return
            _table(engine, state)


def _table(engine: Engine, state: WebState) -> None:
    with ui.row().classes("w-full items-end gap-3"):
        symbol = ui.input("Symbol").classes("w-28").mark("trades-symbol")
        side = (
            ui.select(["", "buy", "sell"], label="Side", value="")
            .classes("w-28")
            .mark("trades-side")
        )
        ui.button(
            "Export CSV",
            icon="download",
            on_click=lambda: ui.download.from_url(
                CSV_PATH + (f"?symbol={symbol.value.strip().upper()}" if symbol.value else "")
            ),
        ).props("outline").mark("export-csv")
    problem = ui.label("").classes("text-negative")
    table = responsive_table(COLUMNS, [], "key", pagination=25).mark("trades-table")

    async def load() -> None:
        problem.text = ""
        try:
            trades = await engine.trades(limit=2000, symbol=(symbol.value or "").strip() or None)
        except EngineError as error:
            problem.text = str(error)
            return
        table.rows = [
            {
                "key": index,
                "at": when(t.at, state.zone),
                "symbol": t.symbol,
                "side": t.side,
                "quantity": shares(t.quantity),
                "price": money(t.price),
                "commission": money(t.commission),
                "order": t.client_order_id,
            }
            for index, t in enumerate(trades)
            if not side.value or t.side == side.value
        ]
        table.update()

    symbol.on_value_change(load)
    side.on_value_change(load)
    ui.timer(5.0, load)
