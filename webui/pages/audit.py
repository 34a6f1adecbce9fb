"""Audit log: who did what, when, and from where (DESIGN §3) — each row a sentence
(`webui.words.audit_sentence`), not the stored action name and JSON details."""

from __future__ import annotations

from nicegui import ui

from core.agent.engine import Engine
from webui import words
from webui.formatting import when
from webui.frame import frame, responsive_table
from webui.state import WebState

COLUMNS = [
    {"name": "at", "label": "When", "field": "at", "align": "left"},
    {"name": "actor", "label": "Who", "field": "actor", "align": "left"},
    {
        "name": "what",
        "label": "What",
        "field": "what",
        "align": "left",
        "style": "white-space: normal; min-width: 16rem",
    },
    {"name": "origin", "label": "From where", "field": "origin", "align": "left"},
]


def register(state: WebState) -> None:
    @ui.page("/audit")
    def audit_page() -> None:
        with frame(state, "Audit log", "/audit") as engine:
            if engine is None:
                return
            _table(engine, state)


def _table(engine: Engine, state: WebState) -> None:
    search = ui.input("Filter (who, what or where)").classes("w-full sm:w-72").mark("audit-filter")
    table = responsive_table(COLUMNS, [], "id", pagination=50).mark("audit-table")

    async def load() -> None:
        needle = (search.value or "").strip().lower()
        events = await engine.audit_log(1000)
        rows = [
            {
                "id": e.id,
                "at": when(e.timestamp, state.zone),
                "actor": words.actor(e.actor),
                "what": words.audit_sentence(e.action, e.details or {})[:400],
                "origin": words.origin(e.origin),
                # What the filter matches as well: the stored names (telegram:42, settings).
                "raw": f"{e.actor} {e.action} {e.origin or ''}",
            }
            for e in events
        ]
        table.rows = [
            r
            for r in rows
            if not needle
            or any(needle in str(r[k]).lower() for k in ("actor", "what", "origin", "raw"))
        ]
        table.update()

    search.on_value_change(load)
    ui.timer(5.0, load)
