"""The order journal: intents written before submit, then the broker's answers.

The `client_order_id` is unique, so writing an intent twice returns the first one:
retries and restarts can never create a second intent for one signal.
"""

from __future__ import annotations

from datetime import UTC, datetime

from core.base.types import FINAL_STATUSES, OrderSide, OrderStatus, OrderType
from storage.database import database_proxy
from storage.models import Fill, Order, Signal

OPEN_STATUSES = (OrderStatus.APPROVED, OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED)


def write_intent(
    *,
    client_order_id: str,
    symbol: str,
    side: OrderSide,
    quantity: float,
    order_type: OrderType = OrderType.MARKET,
    limit_price: float | None = None,
    stop_price: float | None = None,
    signal_id: str | None = None,
    now: datetime | None = None,
) -> tuple[Order, bool]:
    """The journal row for this intent, and whether it was created now."""
    now = now or datetime.now(UTC)
    with database_proxy.atomic(lock_type="IMMEDIATE"):
        existing = Order.get_or_none(Order.client_order_id == client_order_id)
        if existing is not None:
            return existing, False
        row = Order.create(
            client_order_id=client_order_id,
            signal=Signal.get_or_none(Signal.id == signal_id) if signal_id else None,
            symbol=symbol,
            side=side.value,
            order_type=order_type.value,
            quantity=quantity,
            limit_price=limit_price,
            stop_price=stop_price,
            status=OrderStatus.APPROVED.value,
            created_at=now,
            updated_at=now,
        )
        return row, True


def get_by_client_id(client_order_id: str) -> Order | None:
    return Order.get_or_none(Order.client_order_id == client_order_id)


def unfinished() -> list[Order]:
    """Intents not yet known to be final, oldest first."""
    statuses = [s.value for s in OPEN_STATUSES]
    return list(Order.select().where(Order.status.in_(statuses)).order_by(Order.id))


def recent(limit: int = 100, since: datetime | None = None) -> list[Order]:
    query = Order.select().order_by(Order.created_at.desc(), Order.id.desc())
    if since is not None:
        query = query.where(Order.created_at >= since)
    return list(query.limit(limit))


def count_since(since: datetime) -> int:
    """Orders this agent sent (not adopted ones) since `since`."""
    return (
        Order.select()
        .where((Order.created_at >= since) & (Order.external == False))  # noqa: E712
        .count()
    )


def update(
    row: Order,
    *,
    status: OrderStatus | None = None,
    broker_order_id: str | None = None,
    filled_quantity: float | None = None,
    filled_avg_price: float | None = None,
    error: str | None = None,
    submitted_at: datetime | None = None,
    now: datetime | None = None,
) -> Order:
    """Write the changed fields; a final status is never moved back to an open one."""
    now = now or datetime.now(UTC)
    if (
        status is not None
        and OrderStatus(row.status) in FINAL_STATUSES
        and status not in FINAL_STATUSES
    ):
        status = None
    changes = {
        "status": status.value if status is not None else None,
        "broker_order_id": broker_order_id,
        "filled_quantity": filled_quantity,
        "filled_avg_price": filled_avg_price,
        "error": error,
        "submitted_at": submitted_at,
    }
    for field, value in changes.items():
        if value is not None:
            setattr(row, field, value)
    row.updated_at = now
    row.save()
    return row


def adopt_external(
    *,
    client_order_id: str,
    broker_order_id: str,
    symbol: str,
    side: OrderSide,
    quantity: float,
    order_type: OrderType,
    status: OrderStatus,
    now: datetime | None = None,
) -> Order:
    """Journal an order found at the broker that this agent did not send."""
    now = now or datetime.now(UTC)
    return Order.create(
        client_order_id=client_order_id,
        broker_order_id=broker_order_id,
        symbol=symbol,
        side=side.value,
        order_type=order_type.value,
        quantity=quantity,
        status=status.value,
        external=True,
        error="adopted: found at the broker, not sent by stockbot",
        created_at=now,
        updated_at=now,
    )


def record_fill(
    order: Order,
    *,
    quantity: float,
    price: float,
    commission: float,
    at: datetime,
    broker_fill_id: str | None = None,
) -> Fill:
    return Fill.create(
        order=order,
        broker_fill_id=broker_fill_id,
        symbol=order.symbol,
        side=order.side,
        quantity=quantity,
        price=price,
        commission=commission,
        filled_at=at,
    )


def fills_since(since: datetime) -> list[Fill]:
    return list(Fill.select().where(Fill.filled_at >= since).order_by(Fill.filled_at, Fill.id))
