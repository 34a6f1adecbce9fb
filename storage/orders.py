"""The order journal: intents written before submit, then the broker's answers.

The `client_order_id` is unique, so writing an intent twice returns the first one:
retries and restarts can never create a second intent for one signal. Each row also
keeps what the order does to the book (`purpose`: open, reduce, flatten, protect), so a
resend after a restart passes the trading-state gate as the first send would have.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from peewee import JOIN, Field, ModelSelect

from core.base.types import FINAL_STATUSES, OrderSide, OrderStatus, OrderType
from storage.database import database_proxy, rows_as_tuples
from storage.models import Fill, Order, Signal
from storage.records import FillRow, OrderRecord

OPEN_STATUSES = (OrderStatus.APPROVED, OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED)
PROTECT = "protect"
"""The purpose of a protective stop: maintenance, not a trading decision."""

OrderRow = OrderRecord
"""A journal row as the order manager reads it."""


_COLUMNS: dict[str, Field] = {
    "id": Order.id,
    "client_order_id": Order.client_order_id,
    "symbol": Order.symbol,
    "side": Order.side,
    "order_type": Order.order_type,
    "quantity": Order.quantity,
    "status": Order.status,
    "created_at": Order.created_at,
    "updated_at": Order.updated_at,
    "signal_id": Order.signal,
    "broker_order_id": Order.broker_order_id,
    "limit_price": Order.limit_price,
    "stop_price": Order.stop_price,
    "filled_quantity": Order.filled_quantity,
    "filled_avg_price": Order.filled_avg_price,
    "external": Order.external,
    "purpose": Order.purpose,
    "time_in_force": Order.time_in_force,
    "reason": Order.reason,
    "planned_stop": Order.planned_stop,
    "send_after": Order.send_after,
    "extended_hours": Order.extended_hours,
    "error": Order.error,
    "submitted_at": Order.submitted_at,
}
"""Each `OrderRecord` field and the column it comes from: a model instance is read by
these names, a list as plain tuples of these columns (a peewee model instance per row
cost about three times as much, and the approval's re-check reads today's orders)."""


def _record(row: Order) -> OrderRecord:
    return OrderRecord(**{name: getattr(row, name) for name in _COLUMNS})


def _records(query: ModelSelect[Order]) -> list[OrderRecord]:
    rows = rows_as_tuples(query.select(*_COLUMNS.values()))
    return [OrderRecord(**dict(zip(_COLUMNS, row, strict=True))) for row in rows]


def _write(record: OrderRecord, **changes: object) -> None:
    """Write `changes` to the row and to the record the caller holds."""
    for key, value in changes.items():
        setattr(record, key, value)
    Order.update(**changes).where(Order.id == record.id).execute()


@dataclass(frozen=True)
class IntentFields:
    """What an intent row holds, written before anything is sent."""

    client_order_id: str
    symbol: str
    side: OrderSide
    quantity: float
    purpose: str
    order_type: OrderType = OrderType.MARKET
    limit_price: float | None = None
    stop_price: float | None = None
    time_in_force: str = "day"
    reason: str | None = None
    signal_id: str | None = None
    planned_stop: float | None = None
    """A protective stop the approver chose instead of the signal's."""
    send_after: datetime | None = None
    """Queued: not sent before this time (an approval for the next open)."""
    extended_hours: bool = False


def write_intent(intent: IntentFields, now: datetime) -> tuple[OrderRecord, bool]:
    """The journal row for this intent, and whether it was created now."""
    with database_proxy.atomic(lock_type="IMMEDIATE"):
        existing = Order.get_or_none(Order.client_order_id == intent.client_order_id)
        if existing is not None:
            return _record(existing), False
        return _record(_create(intent, now)), True


def _create(intent: IntentFields, now: datetime) -> Order:
    return Order.create(
        client_order_id=intent.client_order_id,
        signal=Signal.get_or_none(Signal.id == intent.signal_id) if intent.signal_id else None,
        symbol=intent.symbol,
        side=intent.side.value,
        order_type=intent.order_type.value,
        quantity=intent.quantity,
        limit_price=intent.limit_price,
        stop_price=intent.stop_price,
        time_in_force=intent.time_in_force,
        purpose=intent.purpose,
        reason=intent.reason,
        planned_stop=intent.planned_stop,
        send_after=intent.send_after,
        extended_hours=intent.extended_hours,
        status=OrderStatus.APPROVED.value,
        created_at=now,
        updated_at=now,
    )


def get_by_client_id(client_order_id: str) -> OrderRecord | None:
    row = Order.get_or_none(Order.client_order_id == client_order_id)
    return _record(row) if row else None


def get_by_signal(signal_id: str) -> OrderRecord | None:
    """The entry or exit order journaled for a signal (protective stops carry none)."""
    row = Order.get_or_none(Order.signal == signal_id)
    return _record(row) if row else None


def reload(record: OrderRecord) -> OrderRecord:
    return _record(Order.get_by_id(record.id))


def unfinished() -> list[OrderRecord]:
    """Intents not yet known to be final, oldest first."""
    statuses = [s.value for s in OPEN_STATUSES]
    return _records(Order.select().where(Order.status.in_(statuses)).order_by(Order.id))


def working(
    *, symbol: str | None = None, purpose: str | None = None, exclude: str | None = None
) -> list[OrderRecord]:
    """Unfinished orders, optionally of one symbol, of one purpose or not of one."""
    query = Order.select().where(Order.status.in_([s.value for s in OPEN_STATUSES]))
    if symbol is not None:
        query = query.where(Order.symbol == symbol)
    if purpose is not None:
        query = query.where(Order.purpose == purpose)
    if exclude is not None:
        query = query.where(Order.purpose != exclude)
    return _records(query.order_by(Order.id))


def queued() -> list[OrderRecord]:
    """Intents waiting for their time (approved for the next open), oldest first."""
    return _records(
        Order.select()
        .where((Order.status == OrderStatus.APPROVED.value) & Order.send_after.is_null(False))
        .order_by(Order.send_after, Order.id)
    )


def client_ids_like(prefix: str) -> list[str]:
    """Client order ids starting with `prefix` (the versions of a protective stop)."""
    rows = Order.select(Order.client_order_id).where(Order.client_order_id.startswith(prefix))
    return [row.client_order_id for row in rows]


def recent(limit: int = 100, since: datetime | None = None) -> list[OrderRecord]:
    query = Order.select().order_by(Order.created_at.desc(), Order.id.desc())
    if since is not None:
        query = query.where(Order.created_at >= since)
    return _records(query.limit(limit))


def decisions_since(since: datetime) -> list[OrderRecord]:
    """Entries and exits this agent sent to the broker since `since` — not intents that
    never went out, not adopted orders and not protective-stop maintenance, which is no
    trading decision."""
    return _records(
        Order.select()
        .where(
            (Order.created_at >= since)
            & (Order.external == False)  # noqa: E712
            & (Order.purpose != PROTECT)
            & Order.submitted_at.is_null(False)
        )
        .order_by(Order.created_at)
    )


def update(
    record: OrderRecord,
    *,
    status: OrderStatus | None = None,
    broker_order_id: str | None = None,
    filled_quantity: float | None = None,
    filled_avg_price: float | None = None,
    error: str | None = None,
    submitted_at: datetime | None = None,
    now: datetime | None = None,
) -> OrderRecord:
    """Write the changed fields; a final status is never moved back to an open one."""
    changes = update_changes(
        record,
        status=status,
        broker_order_id=broker_order_id,
        filled_quantity=filled_quantity,
        filled_avg_price=filled_avg_price,
        error=error,
        submitted_at=submitted_at,
        now=now or datetime.now(UTC),
    )
    _write(record, **changes)
    return record


def update_changes(
    record: OrderRecord,
    *,
    status: OrderStatus | None,
    broker_order_id: str | None,
    filled_quantity: float | None,
    filled_avg_price: float | None,
    error: str | None,
    submitted_at: datetime | None,
    now: datetime,
) -> dict[str, object]:
    """The columns an update writes (one rule for every store)."""
    if (
        status is not None
        and OrderStatus(record.status) in FINAL_STATUSES
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
    out: dict[str, object] = {k: v for k, v in changes.items() if v is not None}
    out["updated_at"] = now
    return out


def set_time_in_force(record: OrderRecord, time_in_force: str, now: datetime) -> None:
    """An intent not sent yet: e.g. market-on-open becomes a day order once open."""
    _write(record, time_in_force=time_in_force, updated_at=now)


def clear_send_after(record: OrderRecord, now: datetime) -> None:
    """A queued intent whose time has come: from now on it is an ordinary intent."""
    _write(record, send_after=None, updated_at=now)


def shrink_intent(record: OrderRecord, quantity: float, now: datetime) -> None:
    """Lower the quantity of an intent not sent yet (an exit when less is held)."""
    _write(record, quantity=quantity, updated_at=now)


def adopt_external(
    *,
    client_order_id: str,
    broker_order_id: str,
    symbol: str,
    side: OrderSide,
    quantity: float,
    order_type: OrderType,
    status: OrderStatus,
    filled_quantity: float,
    filled_avg_price: float | None,
    now: datetime,
) -> OrderRecord:
    """Journal an order found at the broker that this agent did not send."""
    return _record(
        Order.create(
            client_order_id=client_order_id,
            broker_order_id=broker_order_id,
            symbol=symbol,
            side=side.value,
            order_type=order_type.value,
            quantity=quantity,
            status=status.value,
            filled_quantity=filled_quantity,
            filled_avg_price=filled_avg_price,
            external=True,
            purpose="reduce" if side is OrderSide.SELL else "open",
            error="adopted: found at the broker, not sent by stockbot",
            created_at=now,
            updated_at=now,
        )
    )


def record_fill(
    order: OrderRecord,
    *,
    quantity: float,
    price: float,
    commission: float,
    at: datetime,
    broker_fill_id: str | None = None,
) -> None:
    Fill.create(
        order=order.id,
        broker_fill_id=broker_fill_id,
        symbol=order.symbol,
        side=order.side,
        quantity=quantity,
        price=price,
        commission=commission,
        filled_at=at,
    )


def commission_recorded(record: OrderRecord) -> float:
    return sum(fill.commission for fill in Fill.select().where(Fill.order == record.id))


def fills_since(since: datetime) -> list[FillRow]:
    rows = (
        Fill.select(
            Fill.id,
            Fill.order,
            Fill.symbol,
            Fill.side,
            Fill.quantity,
            Fill.price,
            Fill.commission,
            Fill.filled_at,
        )
        .where(Fill.filled_at >= since)
        .order_by(Fill.filled_at, Fill.id)
    )
    return [FillRow(*row) for row in rows_as_tuples(rows)]


@dataclass(frozen=True)
class FillRecord:
    """A fill with what the journal knows of its order: for trade lists and reports."""

    symbol: str
    side: OrderSide
    quantity: float
    price: float
    commission: float
    filled_at: datetime
    client_order_id: str
    signal_id: str | None
    reason: str | None
    signal_stop: float | None
    """The stop the order's signal planned (entries only)."""
    signal_price: float | None
    """The price the signal was sized at (the planned risk is price − stop)."""


def fill_records(since: datetime | None = None) -> list[FillRecord]:
    """Every fill in time order, joined with its order and signal."""
    query = (
        Fill.select(Fill, Order, Signal)
        .join(Order)
        .join(Signal, join_type=JOIN.LEFT_OUTER, on=(Order.signal == Signal.id))
        .order_by(Fill.filled_at, Fill.id)
    )
    if since is not None:
        query = query.where(Fill.filled_at >= since)
    records = []
    for fill in query:
        order = fill.order
        signal = order.signal if order.signal_id else None
        records.append(
            FillRecord(
                symbol=fill.symbol,
                side=OrderSide(fill.side),
                quantity=fill.quantity,
                price=fill.price,
                commission=fill.commission,
                filled_at=fill.filled_at,
                client_order_id=order.client_order_id,
                signal_id=order.signal_id,
                reason=order.reason,
                signal_stop=signal.stop_price if signal is not None else None,
                signal_price=signal.price if signal is not None else None,
            )
        )
    return records


def count_failed() -> int:
    return Order.select().where(Order.status == OrderStatus.FAILED.value).count()
