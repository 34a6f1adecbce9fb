"""Orders approved for the next open, each with Cancel, until they go out. Redrawn only
when the list itself changes, so a Cancel is never redrawn from under a thumb."""

from __future__ import annotations

from nicegui import ui

from core.agent.engine import Engine, EngineError
from webui import words
from webui.access import Visitor
from webui.formatting import when
from webui.state import WebState


class QueuedList:
    def __init__(self, state: WebState, engine: Engine, who: Visitor, origin: str) -> None:
        self.state, self.engine, self.who, self.origin = state, engine, who, origin
        self.shown: tuple[tuple[str, str, object], ...] | None = None
        self.column = ui.column().classes("w-full gap-2").mark("queued-list")

    async def sync(self) -> None:
        try:
            queued = await self.engine.queued_orders()
        except EngineError:
            return
        key = tuple((q.signal_id, q.order, q.send_after) for q in queued)
        if key == self.shown:
            return
        self.shown = key
        self.column.clear()
        with self.column:
            if not queued:
                ui.label("No order is waiting for the open.").classes("opacity-70").mark(
                    "no-queued"
                )
            for order in queued:
                with ui.card().classes("w-full gap-1 p-3").mark(f"queued-{order.signal_id}"):
                    ui.label(order.order).classes("font-semibold break-words")
                    approver = words.actor(order.approved_by) if order.approved_by else "someone"
                    ui.label(
                        f"Goes out {when(order.send_after, self.state.zone)} after a fresh "
                        f"re-check · approved by {approver}"
                    ).classes("text-sm opacity-80")
                    cancel = (
                        ui.button(
                            "Cancel",
                            icon="cancel",
                            on_click=lambda sid=order.signal_id: self.cancel(sid),
                        )
                        .props("outline color=negative")
                        .mark(f"cancel-{order.signal_id}")
                    )
                    cancel.set_enabled(not self.who.read_only)

    async def cancel(self, signal_id: str) -> None:
        try:
            decision = await self.engine.cancel_queued(signal_id, self.who.actor, self.origin)
        except EngineError as error:
            ui.notify(str(error), type="warning")
        else:
            ui.notify(decision.message, type="info")
        await self.sync()
        self.state.poke()
