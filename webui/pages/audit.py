"""Audit log: who did what, when, and from where (DESIGN §3)."""

from __future__ import annotations

import json

from nicegui import ui

from core.agent.engine import Engine
from webui.formatting import when
from webui.frame import frame
from webui.state import WebState

COLUMNS = [
    {"name": "at", "label": "When", "field": "at", "align": "left"},
    {"name": "actor", "label": "Who", "field": "actor", "align": "left"},
    {"name": "action", "label": "What", "field": "action", "align": "left"},
    {"name": "origin", "label": "From where", "field": "origin", "align": "left"},
    {"name": "details", "label": "Details", "field": "details", "align": "left"},
]


def register(state: WebState) -> None:
    @ui.page("/audit")
    def audit_page() -> None:
        with frame(state, "Audit log") as engine:
            if engine is None:
                return
            _table(engine)


def _table(engine: Engine) -> None:
    search = ui.input("Filter (who, what or where)").classes("w-72").mark("audit-filter")
    table = (
        ui.table(columns=COLUMNS, rows=[], row_key="id", pagination=50)
        .classes("w-full")
        .mark("audit-table")
    )

    async def load() -> None:
        needle = (search.value or "").strip().lower()
        events = await engine.audit_log(1000)
        rows = [
            {
                "id": e.id,
                "at": when(e.timestamp),
                "actor": e.actor,
                "action": e.action,
                "origin": e.origin or "—",
                "details": json.dumps(e.details, default=str)[:300],
            }
            for e in events
        ]
        table.rows = [
            r
            for r in rows
            if not needle or any(needle in str(r[k]).lower() for k in ("actor", "action", "origin"))
        ]
        table.update()

    search.on_value_change(load)
    ui.timer(5.0, load)
