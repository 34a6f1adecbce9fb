"""Numbers and times as the page shows them: the words of `core.base.explain`, times in
the owner's time zone. Everything is plain text: NiceGUI labels and table cells are
escaped, and nothing here builds HTML."""

from __future__ import annotations

from datetime import timedelta

from core.base.explain import (
    chance,
    clock,
    day,
    money,
    never_set,
    percent,
    share_of,
    shares,
    short_day,
    signed_money,
    when,
)

__all__ = [
    "chance",
    "clock",
    "countdown",
    "day",
    "money",
    "never_set",
    "number",
    "percent",
    "share_of",
    "shares",
    "short_day",
    "signed_money",
    "when",
]


def number(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def countdown(left: timedelta) -> str:
    """`4m 05s`, or `expired` once the time is up."""
    seconds = int(left.total_seconds())
    if seconds <= 0:
        return "expired"
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {seconds:02d}s"
