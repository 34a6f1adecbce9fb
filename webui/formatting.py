"""Numbers and times as the page shows them. Everything is plain text: NiceGUI labels
and table cells are escaped, and nothing here builds HTML."""

from __future__ import annotations

from datetime import datetime, timedelta


def money(value: float | None) -> str:
    return "—" if value is None else f"${value:,.2f}"


def signed_money(value: float | None) -> str:
    return "—" if value is None else f"{'+' if value >= 0 else '−'}${abs(value):,.2f}"


def percent(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.2%}" if signed else f"{value:.2%}"


def number(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def countdown(left: timedelta) -> str:
    """`4m 05s`, or `expired` once the time is up."""
    seconds = int(left.total_seconds())
    if seconds <= 0:
        return "expired"
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {seconds:02d}s"
