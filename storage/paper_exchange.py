"""The paper exchange's own books: cash, orders, positions and fills (migration 4).

Kept apart from the agent's journal and book on purpose: the paper exchange plays the
broker, and the agent reconciles with it exactly as it does with Alpaca.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from core.base.types import OrderSide, OrderStatus
from storage.database import database_proxy
from storage.models import PaperAccount, PaperFill, PaperOrder, PaperPosition

PaperOrderRow = PaperOrder
"""A resting or finished order of the paper exchange, as its books keep it."""
OPEN_STATUSES = (OrderStatus.SUBMITTED.value, OrderStatus.PARTIALLY_FILLED.value)
_EPSILON = 1e-9


class ExecutionRefused(ValueError):
    """A fill the books cannot take (cash below cost, selling more than held); the
    order is rejected with this message."""


def cash(starting_cash: float, now: datetime) -> float:
    return _account(starting_cash, now).cash


def _account(starting_cash: float, now: datetime) -> PaperAccount:
    account = PaperAccount.get_or_none(PaperAccount.id == 1)
    if account is None:
        account = PaperAccount.create(
            id=1, cash=starting_cash, starting_cash=starting_cash, updated_at=now
        )
    return account


def positions() -> list[PaperPosition]:
    return list(PaperPosition.select().order_by(PaperPosition.symbol))


def held(symbol: str) -> float:
    position = PaperPosition.get_or_none(PaperPosition.symbol == symbol)
    return position.quantity if position else 0.0


def order(order_id: str) -> PaperOrder | None:
    return PaperOrder.get_or_none(PaperOrder.id == order_id)


def order_by_client_id(client_order_id: str) -> PaperOrder | None:
    return PaperOrder.get_or_none(PaperOrder.client_order_id == client_order_id)


def orders(
    status: str = "all", since: datetime | None = None, symbols: Sequence[str] | None = None
) -> list[PaperOrder]:
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
    return list(query)


def held_by_open_sells(symbol: str) -> float:
    """Shares of `symbol` that resting sell orders (a protective stop) hold."""
    return sum(
        row.quantity - row.filled_quantity
        for row in orders("open", symbols=[symbol])
        if row.side == OrderSide.SELL.value
    )


def commission_of(row: PaperOrder) -> float:
    return sum(f.commission for f in row.fills)


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
) -> PaperOrder | None:
    """The new resting order; None when the client order id is already in use."""
    with database_proxy.atomic(lock_type="IMMEDIATE"):
        if order_by_client_id(client_order_id) is not None:
            return None
        return PaperOrder.create(
            id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"paper/{client_order_id}")),
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


def execute(
    row: PaperOrder, *, price: float, commission: float, starting_cash: float, now: datetime
) -> None:
    """Fill the rest of `row` at `price`: cash, position, fill and order in one
    transaction. Raises `ExecutionRefused` (and changes nothing) when the books cannot
    take it."""
    side = OrderSide(row.side)
    quantity = row.quantity - row.filled_quantity
    with database_proxy.atomic(lock_type="IMMEDIATE"):
        account = _account(starting_cash, now)
        position = PaperPosition.get_or_none(PaperPosition.symbol == row.symbol)
        if side is OrderSide.BUY:
            cost = quantity * price + commission
            if cost > account.cash + _EPSILON:
                raise ExecutionRefused(
                    f"cash ${account.cash:,.2f} is below the fill cost ${cost:,.2f}"
                )
            account.cash -= cost
            if position is None:
                PaperPosition.create(
                    symbol=row.symbol, quantity=quantity, avg_entry_price=price, updated_at=now
                )
            else:
                total = position.quantity + quantity
                position.avg_entry_price = (
                    position.quantity * position.avg_entry_price + quantity * price
                ) / total
                position.quantity = total
                position.updated_at = now
                position.save()
        else:
            have = position.quantity if position else 0.0
            if position is None or quantity > have + _EPSILON:
                raise ExecutionRefused(f"only {have:g} {row.symbol} held at fill time")
            account.cash += quantity * price - commission
            position.quantity -= quantity
            if position.quantity <= _EPSILON:
                position.delete_instance()
            else:
                position.updated_at = now
                position.save()
        account.updated_at = now
        account.save()
        PaperFill.create(
            order=row,
            symbol=row.symbol,
            side=row.side,
            quantity=quantity,
            price=price,
            commission=commission,
            filled_at=now,
        )
        row.filled_quantity = row.quantity
        row.filled_avg_price = price
        row.status = OrderStatus.FILLED.value
        row.updated_at = now
        row.save()


def replace(
    row: PaperOrder,
    *,
    client_order_id: str,
    quantity: float,
    stop_price: float | None,
    now: datetime,
) -> PaperOrder | None:
    """Cancel `row` and create its replacement in one transaction (so a protective stop
    is never missing or doubled); None when the new client order id is taken."""
    with database_proxy.atomic(lock_type="IMMEDIATE"):
        created = create_order(
            client_order_id=client_order_id,
            symbol=row.symbol,
            side=OrderSide(row.side),
            order_type=row.order_type,
            quantity=quantity,
            limit_price=row.limit_price,
            stop_price=stop_price if stop_price is not None else row.stop_price,
            now=now,
        )
        if created is not None:
            finish(row, OrderStatus.CANCELLED, now, reason=f"replaced by {client_order_id}")
        return created


def finish(row: PaperOrder, status: OrderStatus, now: datetime, reason: str | None = None) -> None:
    """Move an open order to a final status (rejected → failed with its reason,
    cancelled); a final order stays as it is."""
    if row.status not in OPEN_STATUSES:
        return
    row.status = status.value
    if reason is not None:
        row.reject_reason = reason
    row.updated_at = now
    row.save()
