"""The trading state machine (kill switch): which orders may leave the process.

ACTIVE allows everything; REDUCING only orders that shrink a position; HALTED nothing
new — cancels, protective-stop maintenance and the closing orders of a flatten kill
only. Transitions carry actor and reason; `execution.trading_state` is the one place
that persists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.base.types import KillScope, TradingState, TradingStatus


class OrderPurpose(StrEnum):
    """What an order does to the book, as the gate sees it (journaled with the order, so
    a resend after a restart is judged exactly as the first send)."""

    OPEN = "open"
    """Opens or increases a position."""
    REDUCE = "reduce"
    """Shrinks or closes a position (a SELL signal, the plan's time exit)."""
    FLATTEN = "flatten"
    """Closes a position as part of a flatten kill."""
    PROTECT = "protect"
    """Places, resizes or replaces a protective stop: never a new trading decision."""
    CANCEL = "cancel"


_ALWAYS = frozenset({OrderPurpose.CANCEL, OrderPurpose.PROTECT, OrderPurpose.FLATTEN})


def change_state(
    current: TradingStatus, to: TradingState, *, actor: str, reason: str, now: datetime
) -> TradingStatus:
    if not actor:
        raise ValueError("a trading state change needs an actor")
    if not reason:
        raise ValueError("a trading state change needs a reason")
    return TradingStatus(state=to, changed_by=actor, reason=reason, changed_at=now)


def order_allowed(state: TradingState, purpose: OrderPurpose) -> tuple[bool, str | None]:
    """The gate checked right before every send and resend (DESIGN §5)."""
    if purpose in _ALWAYS or state is TradingState.ACTIVE:
        return True, None
    if state is TradingState.REDUCING:
        if purpose is OrderPurpose.OPEN:
            return False, "trading is REDUCING: only orders that reduce a position are allowed"
        return True, None
    return False, "trading is HALTED: no new orders (use /resume to trade again)"


@dataclass(frozen=True)
class KillPlan:
    status: TradingStatus
    close_all_positions: bool


def kill(current: TradingStatus, scope: KillScope, *, actor: str, now: datetime) -> KillPlan:
    """`stop`: halt, cancel open entry orders, keep protective stops. `flatten`: halt,
    cancel every order (protective stops last), then close every position."""
    status = change_state(
        current, TradingState.HALTED, actor=actor, reason=f"kill {scope.value}", now=now
    )
    return KillPlan(status=status, close_all_positions=scope is KillScope.FLATTEN)


def resume(current: TradingStatus, *, actor: str, now: datetime) -> TradingStatus:
    return change_state(current, TradingState.ACTIVE, actor=actor, reason="resume", now=now)
