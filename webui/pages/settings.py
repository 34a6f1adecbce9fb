"""Settings: a form generated from the runtime settings model (one widget per setting,
its description as the hint), grouped as a person looks for them — trading, risk,
notifications — with anything new under "Other". Errors are shown beside the field and
nothing is saved unless every change is valid. Saving applies live and is audited by the
Engine. Secrets live in the environment and are never part of this model, so never on
this page. A viewer sees the values with every control switched off."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from nicegui import ui
from nicegui.elements.mixins.disableable_element import DisableableElement
from nicegui.elements.mixins.value_element import ValueElement

from core.agent.engine import Engine, InvalidRequest
from core.base.settings import RuntimeSettings
from webui import setting_widgets, words
from webui.access import Visitor, visitor
from webui.frame import frame, show_error
from webui.security import client_origin
from webui.state import WebState

SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Trading", ("mode", "symbols", "min_edge", "auto_edge", "signal_ttl_minutes")),
    (
        "Risk",
        (
            "risk_per_trade",
            "max_portfolio_risk",
            "max_position_pct",
            "max_order_notional",
            "max_open_positions",
            "max_orders_per_day",
            "daily_loss_limit",
            "daily_loss_action",
            "price_collar_pct",
            "min_share_price",
            "max_day_trades",
            "day_trade_window_sessions",
        ),
    ),
    ("Notifications", ("quiet_hours",)),
)
"""Where each setting is shown; notification levels join "Notifications" by their type
and any other setting lands in "Other", so none is ever missing from the page."""
CRITICAL_NOTES = {
    "notify_stops": "A stop exit is critical news: off means silent, never hidden.",
    "notify_alerts": "Critical alerts (a halt, a failed reconciliation) still come, "
    "silently, when this is off.",
    "notify_changes": "A halt is critical news: it still comes, silently, when this is off.",
}


def register(state: WebState) -> None:
    @ui.page("/settings")
    async def settings_page(request: Request) -> None:
        with frame(state, "Settings", "/settings") as engine:
            if engine is None:
                return
            await _form(state, engine, visitor(), client_origin(request), engine.model_manifest())


def sections() -> list[tuple[str, list[str]]]:
    """Every runtime setting, each in one section."""
    fields = RuntimeSettings.model_fields
    placed = {name for _, names in SECTIONS for name in names}
    levels = [n for n, info in fields.items() if setting_widgets.is_level(info) and n not in placed]
    out = [
        (title, [n for n in names if n in fields] + (levels if title == "Notifications" else []))
        for title, names in SECTIONS
    ]
    rest = [n for n in fields if n not in placed and n not in levels]
    if rest:
        out.append(("Other", rest))
    return out


async def _form(
    state: WebState, engine: Engine, who: Visitor, origin: str, manifest: Mapping[str, Any]
) -> None:
    current = engine.settings()
    widgets: dict[str, ValueElement] = {}
    ui.label(
        "Changes apply at once and are recorded in the audit log. API keys, tokens and "
        "passwords are set in the environment (.env) and are never shown here."
    ).classes("text-sm opacity-80")
    general = ui.label("").classes("text-negative").mark("settings-error")
    for title, names in sections():
        with ui.card().classes("w-full gap-2"):
            ui.label(title).classes("text-lg font-semibold")
            with ui.grid().classes("w-full grid-cols-1 md:grid-cols-2 gap-x-6 gap-y-4"):
                for name in names:
                    widgets[name] = _setting(name, getattr(current, name), manifest)
    for element in widgets.values():
        if isinstance(element, DisableableElement):
            element.set_enabled(not who.read_only)

    async def save() -> None:
        general.text = ""
        for element in widgets.values():
            show_error(element, None)
        now = engine.settings()
        changes = {
            name: setting_widgets.typed(element)
            for name, element in widgets.items()
            if setting_widgets.typed(element) != setting_widgets.shown_value(getattr(now, name))
        }
        if not changes:
            ui.notify("nothing changed")
            return
        try:
            await engine.update_settings(changes, who.actor, origin)
        except InvalidRequest as error:
            for key, reason in error.fields.items():
                if key in widgets:
                    show_error(widgets[key], reason)
                else:
                    general.text = reason
            if not error.fields:
                general.text = str(error)
            ui.notify("not saved: fix the marked fields", type="warning")
            return
        ui.notify(f"saved: {', '.join(sorted(changes))}", type="positive")
        state.poke()

    save_button = ui.button("Save", icon="save", on_click=save).mark("settings-save")
    save_button.set_enabled(not who.read_only)


def _setting(name: str, value: Any, manifest: Mapping[str, Any]) -> ValueElement:
    """The setting's widget, with what it means in words where a hint is not enough."""
    info = RuntimeSettings.model_fields[name]
    if setting_widgets.is_level(info):
        with ui.column().classes("w-full gap-1"):
            ui.label(setting_widgets.label(name)).classes("font-medium")
            element = setting_widgets.widget(name, info, value).mark(f"setting-{name}")
            ui.label(info.description or "").classes("text-xs opacity-70")
            if name in CRITICAL_NOTES:
                ui.label(CRITICAL_NOTES[name]).classes("text-xs text-amber-900").mark(
                    f"critical-{name}"
                )
        return element
    if name not in ("min_edge", "auto_edge"):
        return setting_widgets.widget(name, info, value).classes("w-full").mark(f"setting-{name}")
    with ui.column().classes("w-full gap-1"):
        element = setting_widgets.widget(name, info, value).classes("w-full")
        element.mark(f"setting-{name}")
        note = ui.label("").classes("text-xs opacity-80").mark(f"explain-{name}")

        def explain() -> None:
            typed = setting_widgets.typed(element)
            note.set_text(words.edge_note(name, typed, manifest) if typed is not None else "")

        explain()
        element.on_value_change(explain)
    return element
