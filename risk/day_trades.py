"""Day trades and settlement, as today's rules have them.

FINRA's amended Rule 4210 (effective 2026-06-04) replaced the pattern-day-trader
designation, its day-trade count and the $25,000 minimum with intraday margin
standards, so there is no PDT guard any more. What remains:

- an optional limit of the owner's own: at most `max_day_trades` day trades (opening
  and closing the same symbol in one session) within the last `day_trade_window`
  sessions — off by default;
- for cash accounts: sale proceeds settle the next session (T+1), and buying with
  unsettled proceeds is a good-faith violation, so they do not count as buying power.

Sessions are exchange sessions passed in by the caller (the calendar is not risk's job).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date


def day_trades_in_window(
    day_trade_sessions: Iterable[date], recent_sessions: Sequence[date], window: int
) -> int:
    """Day trades whose session is among the last `window` sessions (today included)."""
    sessions = set(recent_sessions[-window:])
    return sum(1 for session in day_trade_sessions if session in sessions)


def day_trade_limit_blocks(
    *,
    limit: int | None,
    window: int,
    would_be_day_trade: bool,
    day_trade_sessions: Iterable[date],
    recent_sessions: Sequence[date],
) -> str | None:
    if limit is None or not would_be_day_trade:
        return None
    count = day_trades_in_window(day_trade_sessions, recent_sessions, window)
    if count >= limit:
        return (
            f"your day-trade limit: {count} day trades in the last {window} sessions "
            f"(max_day_trades is {limit})"
        )
    return None
