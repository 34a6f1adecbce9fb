"""The paper exchange's own books: cash, orders, positions and fills (migration 4).

Kept apart from the agent's journal and book on purpose: the paper exchange plays the
broker, and the agent reconciles with it exactly as it does with Alpaca. The rule that
moves cash and positions on a fill (`execution_effect`) works on records, so the SQLite
books below and a replay's memory books fill identically.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from core.base.types import OrderSide, OrderStatus
from storage.database import database_proxy, rows_as_tuples
from storage.models import PaperAccount, PaperFill, PaperOrder, PaperPosition
from storage.records import PaperOrderRecord, PaperPositionRecord

PaperOrderRow = PaperOrderRecord
"""A resting or finished order of the paper exchange, as its books keep it."""
OPEN_STATUSES = (OrderStatus.SUBMITTED.value, OrderStatus.PARTIALLY_FILLED.value)
_EPSILON = 1e-9


class ExecutionRefused(ValueError):
    """A fill the books cannot take (cash below cost, selling more than held); the
    order is rejected with this message."""


def paper_order_id(client_order_id: str) -> str:
    """Deterministic: the same client order id always names the same paper order."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"paper/{client_order_id}"))


@dataclass(frozen=True)
class ExecutionEffect:
    cash: float
    """Cash after the fill."""
    position: PaperPositionRecord | None
    """The symbol's position after the fill; None when it is closed."""
    quantity: float


def execution_effect(
    order: PaperOrderRecord,
    cash: float,
    position: PaperPositionRecord | None,
    *,
    price: float,
    commission: float,
    now: datetime,
) -> ExecutionEffect:
    """Cash and position after filling the rest of `order` at `price`; raises
    `ExecutionRefused` when the books cannot take it (no margin, no short selling)."""
    quantity = order.quantity - order.filled_quantity
    if OrderSide(order.side) is OrderSide.BUY:
        cost = quantity * price + commission
        if cost > cash + _EPSILON:
            raise ExecutionRefused(f"cash ${cash:,.2f} is below the fill cost ${cost:,.2f}")
        if position is None:
            moved = PaperPositionRecord(order.symbol, quantity, price, now)
        else:
            total = position.quantity + quantity
            average = (position.quantity * position.avg_entry_price + quantity * price) / total
            moved = PaperPositionRecord(order.symbol, total, average, now)
        return ExecutionEffect(cash - cost, moved, quantity)
    have = position.quantity if position else 0.0
    if position is None or quantity > have + _EPSILON:
        raise ExecutionRefused(f"only {have:g} {order.symbol} held at fill time")
    left = position.quantity - quantity
    kept = (
        None
        if left <= _EPSILON
        else PaperPositionRecord(order.symbol, left, position.avg_entry_price, now)
    )
    return ExecutionEffect(cash + quantity * price - commission, kept, quantity)


def filled(order: PaperOrderRecord, price: float, now: datetime) -> dict[str, object]:
    """The columns of an order once filled in full at `price`."""
    return {
        "filled_quantity": order.quantity,
        "filled_avg_price": price,
        "status": OrderStatus.FILLED.value,
        "updated_at": now,
    }


def finished(
    order: PaperOrderRecord, status: OrderStatus, now: datetime, reason: str | None
) -> dict[str, object]:
    """The columns of an open order moved to a final status; nothing for a final one."""
    if order.status not in OPEN_STATUSES:
        return {}
    changes: dict[str, object] = {"status": status.value, "updated_at": now}
    if reason is not None:
        changes["reject_reason"] = reason
    return changes


# -- the SQLite books -----------------------------------------------------------------


def _record(row: PaperOrder) -> PaperOrderRecord:
    return PaperOrderRecord(
        id=row.id,
        client_order_id=row.client_order_id,
        symbol=row.symbol,
        side=row.side,
        order_type=row.order_type,
        quantity=row.quantity,
        status=row.status,
        submitted_at=row.submitted_at,
        updated_at=row.updated_at,
        limit_price=row.limit_price,
        stop_price=row.stop_price,
        filled_quantity=row.filled_quantity,
        filled_avg_price=row.filled_avg_price,
        reject_reason=row.reject_reason,
    )


def _write(order: PaperOrderRecord, changes: dict[str, object]) -> None:
    if not changes:
        return
    for key, value in changes.items():
        setattr(order, key, value)
    PaperOrder.update(**changes).where(PaperOrder.id == order.id).execute()


def cash(starting_cash: float, now: datetime) -> float:
    return _account(starting_cash, now).cash


def _account(starting_cash: float, now: datetime) -> PaperAccount:
    account = PaperAccount.get_or_none(PaperAccount.id == 1)
    if account is None:
        account = PaperAccount.create(
            id=1, cash=starting_cash, starting_cash=starting_cash, updated_at=now
        )
    return account


_POSITION_COLUMNS = (
    PaperPosition.symbol,
    PaperPosition.quantity,
    PaperPosition.avg_entry_price,
    PaperPosition.updated_at,
)
"""`PaperPositionRecord`'s fields in its order."""


def _position(row: PaperPosition) -> PaperPositionRecord:
    return PaperPositionRecord(*(getattr(row, column.name) for column in _POSITION_COLUMNS))


def positions() -> list[PaperPositionRecord]:
    # Plain tuples: the account's value reads every position, several times a session.
    rows = PaperPosition.select(*_POSITION_COLUMNS).order_by(PaperPosition.symbol)
    return [PaperPositionRecord(*row) for row in rows_as_tuples(rows)]


def held(symbol: str) -> float:
    position = PaperPosition.get_or_none(PaperPosition.symbol == symbol)
    return position.quantity if position else 0.0


def order(order_id: str) -> PaperOrderRecord | None:
    row = PaperOrder.get_or_none(PaperOrder.id == order_id)
    return _record(row) if row else None


def order_by_client_id(client_order_id: str) -> PaperOrderRecord | None:
    row = PaperOrder.get_or_none(PaperOrder.client_order_id == client_order_id)
    return _record(row) if row else None


def orders(
    status: str = "all", since: datetime | None = None, symbols: Sequence[str] | None = None
) -> list[PaperOrderRecord]:
    """Orders in submission order; status "open", "closed" or "all"."""
    query = PaperOrder.select().order_by(PaperOrder.submitted_at, PaperOrder.id)
    if status == "open":
        query = query.where(PaperOrder.status.in_(OPEN_STATUSES))
    elif status == "closed":
        query = query.where(PaperOrder.status.not_in(OPEN_STATUSES))
    if since is not None:
        query = query.where(PaperOrder.submitted_at >= since)
    if symbols is not None:
        query = query.where(PaperOrder.symbol.in_(list(symbols)))
    return [_record(row) for row in query]


def held_by_open_sells(symbol: str) -> float:
    """Shares of `symbol` that resting sell orders (a protective stop) hold."""
    return sum(
        row.quantity - row.filled_quantity
        for row in orders("open", symbols=[symbol])
        if row.side == OrderSide.SELL.value
    )


def commission_of(order: PaperOrderRecord) -> float:
    return sum(f.commission for f in PaperFill.select().where(PaperFill.order == order.id))


def create_order(
    *,
    client_order_id: str,
    symbol: str,
    side: OrderSide,
    order_type: str,
    quantity: float,
    limit_price: float | None,
    stop_price: float | None,
    now: datetime,
) -> PaperOrderRecord | None:
    """The new resting order; None when the client order id is already in use."""
    with database_proxy.atomic(lock_type="IMMEDIATE"):
        if order_by_client_id(client_order_id) is not None:
            return None
        return _record(
            PaperOrder.create(
                id=paper_order_id(client_order_id),
                client_order_id=client_order_id,
                symbol=symbol,
                side=side.value,
                order_type=order_type,
                quantity=quantity,
                limit_price=limit_price,
                stop_price=stop_price,
                status=OrderStatus.SUBMITTED.value,
                submitted_at=now,
                updated_at=now,
            )
        )


def execute(
    order: PaperOrderRecord,
    *,
    price: float,
    commission: float,
    starting_cash: float,
    now: datetime,
) -> None:
    """Fill the rest of `order` at `price`: cash, position, fill and order in one
    transaction. Raises `ExecutionRefused` (and changes nothing) when the books cannot
    take it."""
    with database_proxy.atomic(lock_type="IMMEDIATE"):
        account = _account(starting_cash, now)
        row = PaperPosition.get_or_none(PaperPosition.symbol == order.symbol)
        effect = execution_effect(
            order,
            account.cash,
            _position(row) if row else None,
            price=price,
            commission=commission,
            now=now,
        )
        PaperAccount.update(cash=effect.cash, updated_at=now).where(PaperAccount.id == 1).execute()
        if effect.position is None:
            PaperPosition.delete().where(PaperPosition.symbol == order.symbol).execute()
        else:
            PaperPosition.insert(
                symbol=order.symbol,
                quantity=effect.position.quantity,
                avg_entry_price=effect.position.avg_entry_price,
                updated_at=now,
            ).on_conflict_replace().execute()
        PaperFill.create(
            order=order.id,
            symbol=order.symbol,
            side=order.side,
            quantity=effect.quantity,
            price=price,
            commission=commission,
            filled_at=now,
        )
        _write(order, filled(order, price, now))


def replace(
    order: PaperOrderRecord,
    *,
    client_order_id: str,
    quantity: float,
    stop_price: float | None,
    now: datetime,
) -> PaperOrderRecord | None:
    """Cancel `order` and create its replacement in one transaction (so a protective
    stop is never missing or doubled); None when the new client order id is taken."""
    with database_proxy.atomic(lock_type="IMMEDIATE"):
        created = create_order(
            client_order_id=client_order_id,
            symbol=order.symbol,
            side=OrderSide(order.side),
            order_type=order.order_type,
            quantity=quantity,
            limit_price=order.limit_price,
            stop_price=stop_price if stop_price is not None else order.stop_price,
            now=now,
        )
        if created is not None:
            finish(order, OrderStatus.CANCELLED, now, reason=f"replaced by {client_order_id}")
        return created


def finish(
    order: PaperOrderRecord, status: OrderStatus, now: datetime, reason: str | None = None
) -> None:
    """Move an open order to a final status (rejected → failed with its reason,
    cancelled); a final order stays as it is."""
    _write(order, finished(order, status, now, reason))
