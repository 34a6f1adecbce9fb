"""The daily loss limit: halt (or reduce) when equity falls a set share below the
session's starting equity; lift that automatically when the next session starts.

Sessions are keyed by the exchange's local date (America/New_York), so the boundary is
midnight in New York whatever the season — not midnight UTC, which moves with DST.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from core.base.types import TradingState, TradingStatus
from risk.trading_state import change_state

EXCHANGE_TZ = ZoneInfo("America/New_York")
RISK_ACTOR = "risk"
DAILY_LOSS_REASON = "daily loss limit"


class DailyLossRules(Protocol):
    daily_loss_limit: float
    daily_loss_action: Literal["halted", "reducing"]


@dataclass(frozen=True)
class SessionStart:
    session: date
    equity: float


def session_of(now: datetime) -> date:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(EXCHANGE_TZ).date()


def roll_session(stored: SessionStart | None, now: datetime, equity: float) -> SessionStart:
    """Keep the stored start within its session; a new session starts from `equity`."""
    session = session_of(now)
    if stored is not None and stored.session == session:
        return stored
    return SessionStart(session=session, equity=equity)


def daily_loss(start: SessionStart, equity: float) -> float:
    """Loss since the session start as a positive share of the starting equity."""
    if start.equity <= 0:
        return 0.0
    return max(0.0, (start.equity - equity) / start.equity)


def evaluate_daily_loss(
    status: TradingStatus,
    start: SessionStart,
    equity: float,
    rules: DailyLossRules,
    now: datetime,
) -> TradingStatus | None:
    """The new status, or None when nothing changes.

    - Loss at or beyond the limit while ACTIVE → HALTED/REDUCING by actor `risk`.
    - A status set by the limit in an earlier session → ACTIVE again (a person's kill
      is never lifted here: only an explicit resume does that).
    """
    set_by_limit = status.changed_by == RISK_ACTOR and status.reason.startswith(DAILY_LOSS_REASON)
    if set_by_limit and session_of(status.changed_at) != start.session:
        return change_state(
            status, TradingState.ACTIVE, actor=RISK_ACTOR, reason="new session", now=now
        )
    loss = daily_loss(start, equity)
    if status.state is TradingState.ACTIVE and loss >= rules.daily_loss_limit:
        target = TradingState(rules.daily_loss_action)
        reason = (
            f"{DAILY_LOSS_REASON}: equity {equity:,.2f} is {loss:.2%} below the session start "
            f"{start.equity:,.2f} (limit {rules.daily_loss_limit:.2%})"
        )
        return change_state(status, target, actor=RISK_ACTOR, reason=reason, now=now)
    return None
