"""Settings: a form generated from the runtime settings model (one field per setting,
its description as the hint), errors shown beside the field, nothing saved unless every
change is valid. Saving applies live and is audited by the Engine. Secrets live in the
environment and are never part of this model, so never on this page."""

from __future__ import annotations

import types
import typing
from enum import Enum
from typing import Any, Literal

from fastapi import Request
from nicegui import ui
from nicegui.element import Element
from pydantic.fields import FieldInfo

from core.agent.engine import Engine, InvalidRequest
from core.base.settings import RuntimeSettings
from webui.frame import frame, show_error
from webui.security import client_origin
from webui.state import WebState


def register(state: WebState) -> None:
    @ui.page("/settings")
    def settings_page(request: Request) -> None:
        with frame(state, "Settings", "/settings") as engine:
            if engine is None:
                return
            _form(state, engine, client_origin(request))


def shown_value(value: Any) -> Any:
    """The form's value for a setting (tuples of symbols as comma-separated text)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return ",".join(value)
    return value


def _choices(annotation: Any) -> list[str] | None:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [m.value for m in annotation]
    if typing.get_origin(annotation) is Literal:
        return [str(a) for a in typing.get_args(annotation)]
    return None


def _base(annotation: Any) -> Any:
    """`int | None` → int: the widget follows the type; None is an empty field."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _widget(name: str, info: FieldInfo, value: Any) -> Element:
    annotation = _base(info.annotation)
    label = name.replace("_", " ")
    hint = info.description or ""
    choices = _choices(annotation)
    widget: Element
    if choices is not None:
        widget = ui.select(choices, label=label, value=shown_value(value))
    elif annotation is bool:
        return ui.switch(label, value=value)
    elif annotation in (int, float):
        widget = ui.number(label, value=value, step=1 if annotation is int else 0.001)
    else:
        widget = ui.input(label, value=shown_value(value) or "")
    widget.props["hint"] = hint
    widget.props["bottom-slots"] = True
    return widget


def _form(state: WebState, engine: Engine, origin: str) -> None:
    current = engine.settings()
    widgets: dict[str, Element] = {}
    ui.label(
        "Changes apply at once and are recorded in the audit log. API keys, tokens and "
        "passwords are set in the environment (.env) and are never shown here."
    ).classes("text-sm opacity-80")
    general = ui.label("").classes("text-negative").mark("settings-error")
    with ui.grid().classes("w-full grid-cols-1 md:grid-cols-2 gap-x-6 gap-y-4"):
        for name, info in RuntimeSettings.model_fields.items():
            widgets[name] = (
                _widget(name, info, getattr(current, name))
                .classes("w-full")
                .mark(f"setting-{name}")
            )

    async def save() -> None:
        general.text = ""
        for widget in widgets.values():
            show_error(widget, None)
        now = engine.settings()
        changes = {
            name: _typed(widget)
            for name, widget in widgets.items()
            if _typed(widget) != shown_value(getattr(now, name))
        }
        if not changes:
            ui.notify("nothing changed")
            return
        try:
            await engine.update_settings(changes, state.actor, origin)
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

    ui.button("Save", icon="save", on_click=save).mark("settings-save")


def _typed(widget: Element) -> Any:
    """The widget's value as the settings model expects it (empty text is None)."""
    value = getattr(widget, "value", None)
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float) and value.is_integer() and isinstance(widget, ui.number):
        step = widget.props.get("step")
        return int(value) if step == 1 else value
    return value
