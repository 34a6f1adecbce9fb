"""One form widget per runtime setting, chosen from the setting's type: a select for an
enum or a literal, a three-way toggle for a notification level, a switch for a flag, a
number or a text field otherwise. The field's docstring is its hint, so a setting added
to `RuntimeSettings` appears on the page without a change here."""

from __future__ import annotations

import types
import typing
from enum import Enum
from typing import Any, Literal

from nicegui import ui
from nicegui.elements.mixins.value_element import ValueElement
from pydantic.fields import FieldInfo

LABELS = {
    "mode": "Mode",
    "symbols": "Symbols",
    "min_edge": "Minimum edge",
    "auto_edge": "Edge to act alone (hybrid)",
    "signal_ttl_minutes": "Minutes a signal waits",
    "risk_per_trade": "Risk per trade",
    "max_portfolio_risk": "Most risk across positions",
    "max_position_pct": "Largest position (share of equity)",
    "max_order_notional": "Largest order ($)",
    "max_open_positions": "Most open positions",
    "max_orders_per_day": "Most orders a day",
    "daily_loss_limit": "Daily loss limit",
    "daily_loss_action": "At the daily loss limit",
    "price_collar_pct": "Price collar",
    "min_share_price": "Lowest share price ($)",
    "max_day_trades": "Most day trades",
    "day_trade_window_sessions": "Day-trade window (sessions)",
    "quiet_hours": "Quiet hours (HH:MM-HH:MM)",
    "notify_signals": "Signals waiting for you",
    "notify_fills": "Fills and failed orders",
    "notify_stops": "Stop exits",
    "notify_summary": "Daily summary",
    "notify_alerts": "Alerts",
    "notify_changes": "Mode changes, kills, resumes",
}
"""A label a person reads; a setting not listed is labelled by its name in words."""
LEVELS = {"on": "On", "silent": "Silent", "off": "Off"}
"""A notification level's choices, in the order of how much they interrupt."""


def label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " ").capitalize())


def shown_value(value: Any) -> Any:
    """The form's value for a setting (tuples of symbols as comma-separated text)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return ",".join(value)
    return value


def choices(annotation: Any) -> list[str] | None:
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


def is_level(info: FieldInfo) -> bool:
    """A notification level (on, silent, off)."""
    return choices(_base(info.annotation)) == list(LEVELS)


def widget(name: str, info: FieldInfo, value: Any) -> ValueElement:
    annotation = _base(info.annotation)
    hint = info.description or ""
    options = choices(annotation)
    element: ValueElement
    if options == list(LEVELS):
        # Three buttons in a row: one tap on a phone, and every choice in sight.
        return ui.toggle(LEVELS, value=value).props("no-caps spread unelevated")
    if options is not None:
        element = ui.select(options, label=label(name), value=shown_value(value))
    elif annotation is bool:
        return ui.switch(label(name), value=value)
    elif annotation in (int, float):
        element = ui.number(label(name), value=value, step=1 if annotation is int else 0.001)
    else:
        element = ui.input(label(name), value=shown_value(value) or "")
    element.props["hint"] = hint
    element.props["bottom-slots"] = True
    return element


def typed(element: ValueElement) -> Any:
    """The widget's value as the settings model expects it (empty text is None)."""
    value = getattr(element, "value", None)
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float) and value.is_integer() and isinstance(element, ui.number):
        step = element.props.get("step")
        return int(value) if step == 1 else value
    return value
