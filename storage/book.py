"""The agent's book of positions: quantities, average prices, realised P&L and stops.

Fills move it; reconciliation corrects it to the broker's numbers (the broker is the
truth). The planned stops live here (initial stop, current stop, trailing stop,
highest price); the protective stop ORDER at the broker enforces them.

The rules (`fill_position`, `corrected_position`, `with_stops`) work on records, so the
SQLite book below and the replay's memory book move positions identically.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from peewee import Field

from core.base.types import OrderSide, PositionStatus
from storage.database import database_proxy, rows_as_tuples
from storage.models import Position
from storage.records import PositionRecord

_EPSILON = 1e-9

PositionRow = PositionRecord
"""A position of the agent's book as callers read it."""

# -- the rules, on records -----------------------------------------------------------


def fill_position(
    position: PositionRecord | None,
    symbol: str,
    side: OrderSide,
    quantity: float,
    price: float,
    commission: float,
    at: datetime,
    exit_reason: str | None,
) -> tuple[PositionRecord | None, float]:
    """The position after one fill (a new one for a first buy; `id` 0 until stored),
    and the realised P&L of the fill. None when a sell finds nothing to sell."""
    if side is OrderSide.BUY:
        if position is None:
            opened = PositionRecord(
                id=0,
                symbol=symbol,
                quantity=quantity,
                avg_entry_price=price,
                highest_price=price,
                status=PositionStatus.OPEN.value,
                realized_pnl=-commission,
                opened_at=at,
                updated_at=at,
            )
            return opened, -commission
        total = position.quantity + quantity
        moved = replace(
            position,
            avg_entry_price=(position.quantity * position.avg_entry_price + quantity * price)
            / total,
            quantity=total,
            realized_pnl=position.realized_pnl - commission,
            updated_at=at,
        )
        return moved, -commission
    if position is None:
        return None, 0.0  # selling what the book does not hold: reconciliation sorts it out
    sold = min(quantity, position.quantity)
    realised = sold * (price - position.avg_entry_price) - commission
    moved = replace(
        position,
        quantity=position.quantity - sold,
        realized_pnl=position.realized_pnl + realised,
        updated_at=at,
    )
    if moved.quantity <= _EPSILON:
        moved = replace(
            moved,
            quantity=0.0,
            status=PositionStatus.CLOSED.value,
            closed_at=at,
            exit_reason=exit_reason,
        )
    return moved, realised


def with_stops(
    position: PositionRecord,
    *,
    initial_stop: float | None,
    stop_price: float | None,
    trailing_stop: float | None,
    highest_price: float | None,
    now: datetime,
) -> PositionRecord:
    changes: dict[str, object] = {"updated_at": now}
    for name, value in (
        ("initial_stop", initial_stop),
        ("stop_price", stop_price),
        ("trailing_stop", trailing_stop),
        ("highest_price", highest_price),
    ):
        if value is not None:
            changes[name] = value
    return replace(position, **changes)  # type: ignore[arg-type]


def corrected_position(
    position: PositionRecord | None, symbol: str, quantity: float, avg_price: float, now: datetime
) -> tuple[PositionRecord | None, str | None]:
    """The position after matching the broker's (quantity, price), and what changed."""
    if quantity <= _EPSILON:
        if position is None:
            return None, None
        closed = replace(
            position,
            quantity=0.0,
            status=PositionStatus.CLOSED.value,
            closed_at=now,
            updated_at=now,
            exit_reason="broker",
        )
        return closed, f"{symbol}: closed in the book (the broker holds none)"
    if position is None:
        opened = PositionRecord(
            id=0,
            symbol=symbol,
            quantity=quantity,
            avg_entry_price=avg_price,
            highest_price=avg_price,
            status=PositionStatus.OPEN.value,
            opened_at=now,
            updated_at=now,
        )
        return opened, f"{symbol}: {quantity:g} shares at the broker added to the book"
    if (
        abs(position.quantity - quantity) > _EPSILON
        or abs(position.avg_entry_price - avg_price) > 1e-6
    ):
        change = (
            f"{symbol}: book {position.quantity:g} @ {position.avg_entry_price:.4f} "
            f"corrected to the broker's {quantity:g} @ {avg_price:.4f}"
        )
        return replace(position, quantity=quantity, avg_entry_price=avg_price, updated_at=now), (
            change
        )
    return position, None


# -- the SQLite book -----------------------------------------------------------------


_COLUMNS: dict[str, Field] = {
    "id": Position.id,
    "symbol": Position.symbol,
    "quantity": Position.quantity,
    "avg_entry_price": Position.avg_entry_price,
    "status": Position.status,
    "opened_at": Position.opened_at,
    "updated_at": Position.updated_at,
    "initial_stop": Position.initial_stop,
    "stop_price": Position.stop_price,
    "trailing_stop": Position.trailing_stop,
    "highest_price": Position.highest_price,
    "realized_pnl": Position.realized_pnl,
    "exit_reason": Position.exit_reason,
    "closed_at": Position.closed_at,
}
"""Each `PositionRecord` field and its column: a model instance is read by these names,
the open book as plain tuples of these columns (every cycle and every approval's
re-check reads it; a model instance per row cost 3×)."""


def _record(row: Position) -> PositionRecord:
    return PositionRecord(**{name: getattr(row, name) for name in _COLUMNS})


def _store(symbol: str, record: PositionRecord) -> PositionRecord:
    values = {
        "symbol": symbol,
        "quantity": record.quantity,
        "avg_entry_price": record.avg_entry_price,
        "status": record.status,
        "opened_at": record.opened_at,
        "updated_at": record.updated_at,
        "initial_stop": record.initial_stop,
        "stop_price": record.stop_price,
        "trailing_stop": record.trailing_stop,
        "highest_price": record.highest_price,
        "realized_pnl": record.realized_pnl,
        "exit_reason": record.exit_reason,
        "closed_at": record.closed_at,
    }
    if record.id:
        Position.update(**values).where(Position.id == record.id).execute()
        return replace(record, symbol=symbol)
    return _record(Position.create(**values))


def open_positions() -> list[PositionRecord]:
    rows = (
        Position.select(*_COLUMNS.values())
        .where(Position.status == PositionStatus.OPEN.value)
        .order_by(Position.symbol)
    )
    return [PositionRecord(**dict(zip(_COLUMNS, row, strict=True))) for row in rows_as_tuples(rows)]


def open_position(symbol: str) -> PositionRecord | None:
    row = Position.get_or_none(
        (Position.symbol == symbol) & (Position.status == PositionStatus.OPEN.value)
    )
    return _record(row) if row else None


def last_position(symbol: str) -> PositionRecord | None:
    """The newest position of `symbol`, open or closed."""
    row = Position.select().where(Position.symbol == symbol).order_by(Position.id.desc()).first()
    return _record(row) if row else None


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
        moved, realised = fill_position(
            open_position(symbol), symbol, side, quantity, price, commission, at, exit_reason
        )
        if moved is not None:
            _store(symbol, moved)
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
    _store(
        symbol,
        with_stops(
            position,
            initial_stop=initial_stop,
            stop_price=stop_price,
            trailing_stop=trailing_stop,
            highest_price=highest_price,
            now=now or datetime.now(UTC),
        ),
    )


def correct_to_broker(symbol: str, quantity: float, avg_price: float, now: datetime) -> str | None:
    """Make the book match the broker for one symbol; returns what changed, if anything."""
    with database_proxy.atomic(lock_type="IMMEDIATE"):
        position = open_position(symbol)
        corrected, change = corrected_position(position, symbol, quantity, avg_price, now)
        if change is not None and corrected is not None:
            _store(symbol, corrected)
        return change
