"""The agent's book of positions: quantities, average prices, realised P&L and stops.

Fills move it; reconciliation corrects it to the broker's numbers (the broker is the
truth). The planned stops live here (initial stop, current stop, trailing stop,
highest price); the protective stop ORDER at the broker enforces them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from core.base.types import OrderSide, PositionStatus
from storage.database import database_proxy
from storage.models import Position

_EPSILON = 1e-9

PositionRow = Position
"""A position of the agent's book as callers read it."""


def open_positions() -> list[Position]:
    return list(
        Position.select()
        .where(Position.status == PositionStatus.OPEN.value)
        .order_by(Position.symbol)
    )


def open_position(symbol: str) -> Position | None:
    return Position.get_or_none(
        (Position.symbol == symbol) & (Position.status == PositionStatus.OPEN.value)
    )


def apply_fill(
    symbol: str,
    side: OrderSide,
    quantity: float,
    price: float,
    commission: float,
    at: datetime,
    *,
    exit_reason: str | None = None,
) -> float:
    """Move the book by one fill; returns the realised P&L of this fill (sells). A sell
    that closes the position records `exit_reason`."""
    with database_proxy.atomic(lock_type="IMMEDIATE"):
        position = open_position(symbol)
        if side is OrderSide.BUY:
            if position is None:
                Position.create(
                    symbol=symbol,
                    quantity=quantity,
                    avg_entry_price=price,
                    highest_price=price,
                    status=PositionStatus.OPEN.value,
                    realized_pnl=-commission,
                    opened_at=at,
                    updated_at=at,
                )
                return -commission
            total = position.quantity + quantity
            position.avg_entry_price = (
                position.quantity * position.avg_entry_price + quantity * price
            ) / total
            position.quantity = total
            position.realized_pnl -= commission
            position.updated_at = at
            position.save()
            return -commission
        if position is None:
            # Selling what the book does not hold: reconciliation will sort it out.
            return 0.0
        sold = min(quantity, position.quantity)
        realised = sold * (price - position.avg_entry_price) - commission
        position.quantity -= sold
        position.realized_pnl += realised
        position.updated_at = at
        if position.quantity <= _EPSILON:
            position.quantity = 0.0
            position.status = PositionStatus.CLOSED.value
            position.closed_at = at
            position.exit_reason = exit_reason
        position.save()
        return realised


def realized_since(start: datetime | None) -> float:
    """Realised P&L of positions closed (or changed) since `start`; all when None."""
    query = Position.select()
    if start is not None:
        query = query.where(Position.updated_at >= start)
    return sum(p.realized_pnl for p in query)


def set_stops(
    symbol: str,
    *,
    initial_stop: float | None = None,
    stop_price: float | None = None,
    trailing_stop: float | None = None,
    highest_price: float | None = None,
    now: datetime | None = None,
) -> None:
    position = open_position(symbol)
    if position is None:
        return
    for field, value in (
        ("initial_stop", initial_stop),
        ("stop_price", stop_price),
        ("trailing_stop", trailing_stop),
        ("highest_price", highest_price),
    ):
        if value is not None:
            setattr(position, field, value)
    position.updated_at = now or datetime.now(UTC)
    position.save()


def correct_to_broker(symbol: str, quantity: float, avg_price: float, now: datetime) -> str | None:
    """Make the book match the broker for one symbol; returns what changed, if anything."""
    with database_proxy.atomic(lock_type="IMMEDIATE"):
        position = open_position(symbol)
        if quantity <= _EPSILON:
            if position is None:
                return None
            position.quantity = 0.0
            position.status = PositionStatus.CLOSED.value
            position.closed_at = now
            position.updated_at = now
            position.exit_reason = "broker"
            position.save()
            return f"{symbol}: closed in the book (the broker holds none)"
        if position is None:
            Position.create(
                symbol=symbol,
                quantity=quantity,
                avg_entry_price=avg_price,
                highest_price=avg_price,
                status=PositionStatus.OPEN.value,
                opened_at=now,
                updated_at=now,
            )
            return f"{symbol}: {quantity:g} shares at the broker added to the book"
        if (
            abs(position.quantity - quantity) > _EPSILON
            or abs(position.avg_entry_price - avg_price) > 1e-6
        ):
            change = (
                f"{symbol}: book {position.quantity:g} @ {position.avg_entry_price:.4f} "
                f"corrected to the broker's {quantity:g} @ {avg_price:.4f}"
            )
            position.quantity = quantity
            position.avg_entry_price = avg_price
            position.updated_at = now
            position.save()
            return change
        return None
