"""The trading state machine (kill switch): which orders may leave the process.

ACTIVE allows everything; REDUCING only orders that shrink a position; HALTED nothing
new — cancels are always allowed, and closing orders only as part of a flatten kill.
Transitions carry actor and reason; the caller persists the resulting `TradingStatus`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.base.types import KillScope, TradingState, TradingStatus


class OrderIntent(StrEnum):
    """What an order would do to the book, as the gate sees it."""

    OPEN = "open"
    """Opens or increases a position."""
    REDUCE = "reduce"
    """Shrinks or closes a position."""
    FLATTEN = "flatten"
    """Closes a position as part of a flatten kill."""
    CANCEL = "cancel"


def change_state(
    current: TradingStatus, to: TradingState, *, actor: str, reason: str, now: datetime
) -> TradingStatus:
    if not actor:
        raise ValueError("a trading state change needs an actor")
    if not reason:
        raise ValueError("a trading state change needs a reason")
    return TradingStatus(state=to, changed_by=actor, reason=reason, changed_at=now)


def order_allowed(state: TradingState, intent: OrderIntent) -> tuple[bool, str | None]:
    """The gate checked right before submit (DESIGN §5)."""
    if intent is OrderIntent.CANCEL or state is TradingState.ACTIVE:
        return True, None
    if state is TradingState.REDUCING:
        if intent is OrderIntent.OPEN:
            return False, "trading is REDUCING: only orders that reduce a position are allowed"
        return True, None
    if intent is OrderIntent.FLATTEN:
        return True, None
    return False, "trading is HALTED: no new orders (use /resume to trade again)"


@dataclass(frozen=True)
class KillPlan:
    status: TradingStatus
    cancel_open_orders: bool
    close_all_positions: bool


def kill(current: TradingStatus, scope: KillScope, *, actor: str, now: datetime) -> KillPlan:
    """`stop`: halt and cancel open orders. `flatten`: also close every position."""
    status = change_state(
        current, TradingState.HALTED, actor=actor, reason=f"kill {scope.value}", now=now
    )
    return KillPlan(
        status=status, cancel_open_orders=True, close_all_positions=scope is KillScope.FLATTEN
    )


def resume(current: TradingStatus, *, actor: str, now: datetime) -> TradingStatus:
    return change_state(current, TradingState.ACTIVE, actor=actor, reason="resume", now=now)
