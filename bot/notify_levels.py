"""Notifications you choose (issue 18): for each kind of news — signals, fills, stops,
the daily summary, alerts, mode and kill changes — on (with a sound), silent (Telegram's
`disable_notification`) or off. The levels are runtime settings (`notify_<kind>`),
changed with `/notify KIND LEVEL` or on the Settings page.

Critical news — a halt, a stop exit, a critical alert such as a failed reconciliation —
can be silenced but never turned off: for it, off means silent.
"""

from __future__ import annotations

from typing import Literal

from core.base.events import (
    Alert,
    DailySummary,
    Event,
    ModeChanged,
    OrderFailed,
    OrderFilled,
    SignalCreated,
    StopTriggered,
    TradingStateChanged,
)
from core.base.settings import NOTIFY_KINDS, RuntimeSettings
from core.base.types import TradingState

Level = Literal["on", "silent", "off"]
LEVELS: tuple[Level, ...] = ("on", "silent", "off")
Delivery = Literal["on", "silent"] | None
"""How a message goes out: with a sound, without one, or not at all (None)."""

WHAT: dict[str, str] = {
    "signals": "signals waiting for you, and their reminder",
    "fills": "orders the agent sent, fills and failed orders",
    "stops": "stop exits",
    "summary": "the daily summary after the close",
    "alerts": "warnings and alerts",
    "changes": "mode changes, kills and resumes",
}
"""Each kind in words, for /notify."""
NEVER_OFF: dict[str, str] = {
    "stops": "stop exits are critical news: they still arrive, without a sound",
    "alerts": "warnings are not sent; critical alerts (a failed reconciliation) still "
    "arrive, without a sound",
    "changes": "mode changes and resumes are not sent; a halt still arrives, without a sound",
}
"""What off means for a kind that carries critical news."""


def is_critical(event: Event) -> bool:
    """News the owner must get even when they chose silence: a stop exit, a critical
    alert (a failed reconciliation, the broker halting trading), trading stopped."""
    match event:
        case Alert(severity="critical") | StopTriggered():
            return True
        case TradingStateChanged(status=status):
            return status.state is not TradingState.ACTIVE
    return False


def kind_of(event: Event) -> str | None:
    """Which of the owner's notification kinds an event belongs to."""
    match event:
        case SignalCreated(asks=True):
            return "signals"
        case SignalCreated() | OrderFilled() | OrderFailed():
            return "fills"
        case StopTriggered():
            return "stops"
        case DailySummary():
            return "summary"
        case Alert():
            return "alerts"
        case TradingStateChanged() | ModeChanged():
            return "changes"
    return None


def level_of(runtime: RuntimeSettings, kind: str) -> Level:
    value: Level = getattr(runtime, f"notify_{kind}")
    return value


def delivery(level: Level, *, critical: bool) -> Delivery:
    if level == "off":
        return "silent" if critical else None
    return level


def for_event(runtime: RuntimeSettings, event: Event) -> Delivery:
    kind = kind_of(event)
    critical = is_critical(event)
    if kind is None:
        return "on"
    return delivery(level_of(runtime, kind), critical=critical)


def levels_text(runtime: RuntimeSettings) -> str:
    """`/notify`: each kind's level and what it covers, and how to change one."""
    lines = ["Notifications (on · silent · off):"]
    for kind in NOTIFY_KINDS:
        level = level_of(runtime, kind)
        note = f" ({NEVER_OFF[kind]})" if level == "off" and kind in NEVER_OFF else ""
        lines.append(f"{kind}: {level} — {WHAT[kind]}{note}")
    lines.append("")
    lines.append("Change one: /notify fills silent")
    lines.append("Critical news (a halt, a stop exit, a failed reconciliation) is never off.")
    return "\n".join(lines)


USAGE = (
    f"Usage: /notify [KIND LEVEL] — kinds: {', '.join(NOTIFY_KINDS)}; levels: {', '.join(LEVELS)}"
)


def parse(args: list[str]) -> tuple[str, Level]:
    """(kind, level) from `/notify KIND LEVEL`; ValueError naming what is wrong."""
    if len(args) != 2:
        raise ValueError(USAGE)
    kind, level = args[0].lower(), args[1].lower()
    if kind not in NOTIFY_KINDS:
        raise ValueError(f"{args[0]!r} is not a kind of news. {USAGE}")
    for allowed in LEVELS:
        if level == allowed:
            return kind, allowed
    raise ValueError(f"{args[1]!r} is not a level. {USAGE}")


def changed_text(kind: str, level: Level) -> str:
    what = WHAT[kind]
    if level == "on":
        return f"{kind}: on — {what} arrive with a sound."
    if level == "silent":
        return f"{kind}: silent — {what} arrive without a sound."
    if kind in NEVER_OFF:
        return f"{kind}: off — {NEVER_OFF[kind]}."
    if kind == "signals":
        return f"{kind}: off — {what} are not sent; /signals still shows them."
    return f"{kind}: off — {what} are not sent."
