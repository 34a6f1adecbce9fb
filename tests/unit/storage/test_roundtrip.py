"""Every table: write a row, read it back through a fresh connection, compare."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from peewee import IntegrityError

from storage.database import close_database, open_database
from storage.fields import to_utc_text
from storage.models import (
    AuditEvent,
    Bar,
    BotState,
    EquitySnapshot,
    Fill,
    FlattenJob,
    Order,
    Position,
    Prediction,
    SettingOverride,
    Signal,
    TelegramMessage,
)

T0 = datetime(2024, 3, 1, 20, 45, 0, 123456, tzinfo=UTC)


def make_signal(signal_id: str = "sig_a") -> Signal:
    return Signal.create(
        id=signal_id,
        symbol="PLTR",
        signal_type="buy",
        confidence=0.83,
        price=24.5,
        quantity=12,
        stop_price=22.9,
        risk_amount=19.2,
        mode="hybrid",
        status="pending",
        reasons=["rsi_14 low"],
        prediction={"probability_up": 0.83},
        created_at=T0,
        expires_at=T0 + timedelta(minutes=15),
        updated_at=T0,
    )


def make_order(signal: Signal | None = None) -> Order:
    return Order.create(
        client_order_id="sb-sig_a-1",
        signal=signal,
        symbol="PLTR",
        side="buy",
        order_type="market",
        quantity=12,
        status="approved",
        created_at=T0,
        updated_at=T0,
    )


def reopen(path: Path) -> None:
    close_database()
    open_database(path)


def row_dict(row) -> dict:
    return {name: getattr(row, name) for name in row._meta.fields}


ROWS = {
    "signals": lambda: make_signal(),
    "orders": lambda: make_order(make_signal()),
    "fills": lambda: Fill.create(
        order=make_order(),
        broker_fill_id="f-1",
        symbol="PLTR",
        side="buy",
        quantity=12,
        price=24.51,
        commission=0.12,
        filled_at=T0,
    ),
    "positions": lambda: Position.create(
        symbol="PLTR",
        quantity=12,
        avg_entry_price=24.51,
        initial_stop=22.9,
        stop_price=22.9,
        trailing_stop=None,
        highest_price=24.6,
        status="open",
        opened_at=T0,
        updated_at=T0,
    ),
    "predictions": lambda: Prediction.create(
        symbol="PLTR",
        bar_time=T0,
        horizon=1,
        probability_up=0.61,
        model_run_id="run-1",
        details={"gbm": 0.6, "top": [["rsi_14", -0.1]]},
        created_at=T0,
    ),
    "equity_snapshots": lambda: EquitySnapshot.create(
        timestamp=T0, equity=10_050.5, cash=9_000.0, exposure=1_050.5, daily_pnl=50.5
    ),
    "settings_overrides": lambda: SettingOverride.create(
        key="mode", value="auto", updated_at=T0, updated_by="telegram:42"
    ),
    "audit_events": lambda: AuditEvent.create(
        timestamp=T0, actor="web:owner", action="kill", details={"scope": "stop"}, origin="::1"
    ),
    "flatten_jobs": lambda: FlattenJob.create(
        requested_by="telegram:42", origin="chat:42", requested_at=T0, status="running"
    ),
    "bars": lambda: Bar.create(
        provider="sim",
        symbol="PLTR",
        timeframe="1Day",
        adjustment="all",
        ts=1709251200,
        open=1.0,
        high=2.0,
        low=0.5,
        close=1.5,
        volume=1e6,
    ),
    "bot_state": lambda: BotState.create(
        id=1,
        trading_state="halted",
        changed_by="telegram:42",
        reason="kill stop",
        changed_at=T0,
        session_date="2024-03-01",
        session_start_equity=10_000.0,
    ),
    "telegram_messages": lambda: TelegramMessage.create(
        signal=make_signal(), chat_id=42, message_id=7, created_at=T0
    ),
}


@pytest.mark.parametrize("table", sorted(ROWS))
def test_row_round_trips_through_a_real_file(tmp_path: Path, table: str) -> None:
    path = tmp_path / "rt.db"
    open_database(path)
    try:
        written = ROWS[table]()
        model = type(written)
        expected = row_dict(written)
        reopen(path)
        read = model.get_by_id(written.get_id())
        actual = row_dict(read)
        for key, value in expected.items():
            if hasattr(value, "get_id"):  # foreign key: compare ids
                expected[key] = value.get_id()
                actual[key] = actual[key].get_id()
        assert actual == expected
        assert all(v.tzinfo is not None for v in actual.values() if isinstance(v, datetime)), (
            "timestamps come back timezone-aware"
        )
    finally:
        close_database()


def test_client_order_id_is_unique(database) -> None:
    make_order()
    with pytest.raises(IntegrityError):
        make_order()


def test_only_one_open_position_per_symbol(database) -> None:
    ROWS["positions"]()
    with pytest.raises(IntegrityError):
        ROWS["positions"]()


def test_foreign_keys_are_enforced(database) -> None:
    with pytest.raises(IntegrityError):
        Fill.insert(
            order_id=999, symbol="PLTR", side="buy", quantity=1, price=1, filled_at=T0
        ).execute()


def test_naive_timestamps_are_refused(database) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        EquitySnapshot.create(timestamp=datetime(2024, 1, 1), equity=1, cash=1)


def test_timestamp_text_sorts_in_time_order() -> None:
    earlier = datetime(2024, 1, 1, 9, 59, 59, 999999, tzinfo=UTC)
    later = datetime(2024, 1, 1, 5, 0, tzinfo=UTC) + timedelta(hours=5)
    assert to_utc_text(earlier) < to_utc_text(later)
