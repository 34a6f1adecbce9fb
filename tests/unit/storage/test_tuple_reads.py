"""The journal's and the book's lists are read as plain tuples: each record must equal
the one read for its row alone, every field of it (a column out of place would shift
the rest)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from peewee import SqliteDatabase

from storage import book, orders
from storage.models import Fill, Order, Position, Signal

T0 = datetime(2024, 3, 1, 14, 45, 0, 123456, tzinfo=UTC)


def _journal() -> None:
    Signal.create(
        id="sig_a", symbol="PLTR", signal_type="buy", confidence=0.8, price=24.5, quantity=12,
        stop_price=22.9, risk_amount=19.2, mode="manual", status="approved", reasons=[],
        prediction={}, created_at=T0, expires_at=T0 + timedelta(minutes=15), updated_at=T0,
    )  # fmt: skip
    Order.create(
        client_order_id="sb-sig_a", signal="sig_a", symbol="PLTR", side="buy",
        order_type="limit", quantity=12, status="filled", created_at=T0,
        updated_at=T0 + timedelta(seconds=2), broker_order_id="b-1", limit_price=24.6,
        filled_quantity=12, filled_avg_price=24.55, purpose="open", time_in_force="opg",
        reason="signal", planned_stop=22.5, send_after=T0 - timedelta(minutes=5),
        extended_hours=True, error="late", submitted_at=T0 + timedelta(seconds=1),
    )  # fmt: skip
    Order.create(
        client_order_id="sb-PLTR-stop", symbol="PLTR", side="sell", order_type="stop",
        quantity=12, status="submitted", created_at=T0 + timedelta(seconds=3),
        updated_at=T0 + timedelta(seconds=3), stop_price=22.9, purpose="protect",
        time_in_force="gtc", external=True, submitted_at=T0 + timedelta(seconds=3),
    )  # fmt: skip
    Fill.create(
        order=1, symbol="PLTR", side="buy", quantity=12, price=24.55, commission=0.12,
        filled_at=T0 + timedelta(seconds=2),
    )  # fmt: skip


def test_listed_orders_equal_the_rows_read_one_by_one(database: SqliteDatabase) -> None:
    _journal()
    listed = orders.recent(limit=10)
    assert len(listed) == 2
    for record in listed:
        alone = orders.get_by_client_id(record.client_order_id)
        assert alone is not None
        assert asdict(record) == asdict(alone)
    entry = next(r for r in listed if r.purpose == "open")
    assert (entry.signal_id, entry.extended_hours, entry.send_after) == (
        "sig_a",
        True,
        T0 - timedelta(minutes=5),
    )
    assert [r.client_order_id for r in orders.decisions_since(T0)] == ["sb-sig_a"]


def test_fills_read_with_their_order_and_time(database: SqliteDatabase) -> None:
    _journal()
    (fill,) = orders.fills_since(T0)
    assert (fill.order_id, fill.symbol, fill.side, fill.quantity, fill.price) == (
        1,
        "PLTR",
        "buy",
        12,
        24.55,
    )
    assert (fill.commission, fill.filled_at) == (0.12, T0 + timedelta(seconds=2))
    assert orders.fills_since(T0 + timedelta(seconds=3)) == []


def test_the_open_book_equals_its_positions_read_one_by_one(database: SqliteDatabase) -> None:
    for n, symbol in enumerate(("PLTR", "AAPL")):
        Position.create(
            symbol=symbol, quantity=10 + n, avg_entry_price=20.5 + n, status="open",
            opened_at=T0, updated_at=T0 + timedelta(seconds=n), initial_stop=19.0,
            stop_price=19.5, trailing_stop=19.5 if n else None, highest_price=22.0,
            realized_pnl=1.25,
        )  # fmt: skip
    listed = book.open_positions()
    assert [p.symbol for p in listed] == ["AAPL", "PLTR"]
    for position in listed:
        alone = book.open_position(position.symbol)
        assert alone is not None
        assert asdict(position) == asdict(alone)
