"""Pattern-day-trader guard for margin accounts under $25,000 (FINRA rule 4210):
no fourth day trade within five business days.

A day trade is opening and closing the same symbol in one session. Business days are
exchange sessions, passed in by the caller (the calendar is not risk's job), so a
holiday does not count as one of the five.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

PDT_EQUITY_THRESHOLD = 25_000.0
PDT_MAX_DAY_TRADES = 3
PDT_WINDOW_SESSIONS = 5


def day_trades_in_window(
    day_trade_sessions: Iterable[date], recent_sessions: Sequence[date]
) -> int:
    """Day trades whose session is among the last five sessions (today included)."""
    window = set(recent_sessions[-PDT_WINDOW_SESSIONS:])
    return sum(1 for session in day_trade_sessions if session in window)


def pdt_blocks(
    *,
    equity: float,
    would_be_day_trade: bool,
    day_trade_sessions: Iterable[date],
    recent_sessions: Sequence[date],
) -> str | None:
    if equity >= PDT_EQUITY_THRESHOLD or not would_be_day_trade:
        return None
    count = day_trades_in_window(day_trade_sessions, recent_sessions)
    if count >= PDT_MAX_DAY_TRADES:
        return (
            f"pattern-day-trader guard: {count} day trades in the last "
            f"{PDT_WINDOW_SESSIONS} sessions and equity ${equity:,.2f} is under "
            f"${PDT_EQUITY_THRESHOLD:,.0f}; a fourth is not allowed"
        )
    return None
