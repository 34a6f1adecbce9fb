"""The steps of an order's life where several tables must agree, each one transaction:

- an approval moves the signal to APPROVED and journals its order intent together, so
  a crash can never leave an approved signal without an order (or an order without
  its approval);
- a broker update writes the order's status, the new fill, the agent's book (with the
  planned stop of an opening buy, or the exit reason of a closing sell) and the
  signal's status together, so a crash can never record one without the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from peewee import JOIN

from core.base.types import OrderSide, OrderStatus
from storage import audit, book, orders
from storage.database import database_proxy
from storage.models import Order, Signal
from storage.orders import IntentFields
from storage.records import OrderRecord
from storage.signals import transition

# Which lifecycle moves a signal makes when its order reaches a status.
SIGNAL_PATH: dict[OrderStatus, list[tuple[OrderStatus, OrderStatus]]] = {
    OrderStatus.SUBMITTED: [(OrderStatus.APPROVED, OrderStatus.SUBMITTED)],
    OrderStatus.PARTIALLY_FILLED: [
        (OrderStatus.APPROVED, OrderStatus.SUBMITTED),
        (OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED),
    ],
    OrderStatus.FILLED: [
        (OrderStatus.APPROVED, OrderStatus.SUBMITTED),
        (OrderStatus.SUBMITTED, OrderStatus.FILLED),
        (OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED),
    ],
    OrderStatus.CANCELLED: [
        (OrderStatus.APPROVED, OrderStatus.CANCELLED),
        (OrderStatus.SUBMITTED, OrderStatus.CANCELLED),
        (OrderStatus.PARTIALLY_FILLED, OrderStatus.CANCELLED),
    ],
    OrderStatus.FAILED: [
        (OrderStatus.APPROVED, OrderStatus.FAILED),
        (OrderStatus.SUBMITTED, OrderStatus.FAILED),
    ],
}


def approve_with_intent(
    signal_id: str,
    intent: IntentFields,
    *,
    actor: str,
    origin: str | None,
    now: datetime,
    changes: dict[str, object] | None = None,
) -> OrderRecord | None:
    """Win the signal (PENDING → APPROVED, unexpired) and journal its intent in one
    transaction — with an audit row of what the approver changed, if anything; None
    when another decision or the expiry came first."""
    with database_proxy.atomic(lock_type="IMMEDIATE"):
        if not transition(
            signal_id, OrderStatus.PENDING, OrderStatus.APPROVED, actor, now=now, origin=origin
        ):
            return None
        row, _ = orders.write_intent(intent, now)
        if changes:
            audit.record(
                actor,
                "signal.modified",
                {"signal_id": signal_id, **changes},
                origin=origin,
                at=now,
            )
        return row


@dataclass(frozen=True)
class NewFill:
    quantity: float
    price: float
    commission: float
    at: datetime


@dataclass(frozen=True)
class PlannedStop:
    """The stop of an opening buy: the plan's risk per share below the fill price."""

    risk_per_share: float


def apply_broker_update(
    row: OrderRecord,
    *,
    status: OrderStatus,
    broker_order_id: str | None,
    filled_quantity: float,
    filled_avg_price: float | None,
    submitted_at: datetime | None,
    error: str | None,
    fill: NewFill | None,
    planned_stop: PlannedStop | None,
    now: datetime,
) -> OrderRecord:
    """Order, fill, book and signal in one transaction."""
    with database_proxy.atomic(lock_type="IMMEDIATE"):
        orders.update(
            row,
            status=status,
            broker_order_id=broker_order_id,
            filled_quantity=filled_quantity,
            filled_avg_price=filled_avg_price,
            submitted_at=submitted_at,
            error=error,
            now=now,
        )
        if fill is not None:
            side = OrderSide(row.side)
            orders.record_fill(
                row,
                quantity=fill.quantity,
                price=fill.price,
                commission=fill.commission,
                at=fill.at,
            )
            book.apply_fill(
                row.symbol,
                side,
                fill.quantity,
                fill.price,
                fill.commission,
                fill.at,
                exit_reason=row.reason,
            )
            if side is OrderSide.BUY and planned_stop is not None and filled_avg_price:
                _plan_stop(row.symbol, filled_avg_price, planned_stop, now)
        if row.signal_id is not None:
            for start, end in SIGNAL_PATH.get(OrderStatus(row.status), []):
                transition(row.signal_id, start, end, "system", now=now)
    return row


def _plan_stop(symbol: str, average_fill: float, planned: PlannedStop, now: datetime) -> None:
    """Keep the planned risk per share from the actual (average) fill price; a stop that
    already trails is never moved down by a later partial fill."""
    stop = average_fill - planned.risk_per_share
    if not 0 < stop < average_fill:
        return
    position = book.open_position(symbol)
    if position is None:
        return
    if position.trailing_stop is not None:
        return
    book.set_stops(symbol, initial_stop=stop, stop_price=stop, highest_price=average_fill, now=now)


def approved_without_order() -> list[str]:
    """Ids of APPROVED signals that have no journaled order (left by a version that
    approved and journaled in two steps; start-up settles them)."""
    rows = (
        Signal.select(Signal.id)
        .join(Order, join_type=JOIN.LEFT_OUTER, on=(Order.signal == Signal.id))
        .where((Signal.status == OrderStatus.APPROVED.value) & Order.id.is_null())
    )
    return [row.id for row in rows]
