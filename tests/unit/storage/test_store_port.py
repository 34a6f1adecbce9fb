"""The storage port's rules, checked on both implementations (the `store` fixture runs
each test on a SQLite file and on the memory store): what a replay relies on is what
the live agent relies on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.base.types import (
    ModelPrediction,
    OrderSide,
    OrderStatus,
    SignalType,
    TradingMode,
    TradingSignal,
    TradingState,
    TradingStatus,
)
from storage.journal import NewFill, PlannedStop
from storage.memory_store import MemoryStore
from storage.orders import IntentFields
from storage.port import Store

T0 = datetime(2024, 3, 1, 15, tzinfo=UTC)


def signal(signal_id: str = "sigA", *, minutes: int = 15) -> TradingSignal:
    return TradingSignal(
        id=signal_id,
        symbol="PLTR",
        signal_type=SignalType.BUY,
        confidence=0.7,
        price=25.0,
        quantity=10,
        stop_price=23.0,
        mode=TradingMode.MANUAL,
        created_at=T0,
        expires_at=T0 + timedelta(minutes=minutes),
    )


def intent(client_id: str = "sb-sigA-entry", signal_id: str | None = "sigA") -> IntentFields:
    return IntentFields(client_id, "PLTR", OrderSide.BUY, 10, purpose="open", signal_id=signal_id)


def test_an_intent_is_written_once(store: Store) -> None:
    first, created = store.orders.write_intent(intent(signal_id=None), T0)
    again, created_again = store.orders.write_intent(intent(signal_id=None), T0)
    assert (created, created_again) == (True, False)
    assert again.id == first.id
    assert [r.client_order_id for r in store.orders.unfinished()] == ["sb-sigA-entry"]


def test_a_final_status_is_never_reopened(store: Store) -> None:
    row, _ = store.orders.write_intent(intent(signal_id=None), T0)
    store.orders.update(row, status=OrderStatus.CANCELLED, now=T0)
    store.orders.update(row, status=OrderStatus.SUBMITTED, error="late news", now=T0)
    assert row.status == OrderStatus.CANCELLED.value
    assert row.error == "late news"
    assert store.orders.reload(row).status == OrderStatus.CANCELLED.value
    assert store.orders.unfinished() == []


def test_a_decision_wins_once_and_never_after_expiry(store: Store) -> None:
    store.signals.save_signal(signal())
    assert store.signals.transition("sigA", OrderStatus.PENDING, OrderStatus.APPROVED, "a", now=T0)
    assert not store.signals.transition(
        "sigA", OrderStatus.PENDING, OrderStatus.REJECTED, "b", now=T0
    )
    store.signals.save_signal(signal("sigB"))
    later = T0 + timedelta(minutes=20)
    assert not store.signals.transition(
        "sigB", OrderStatus.PENDING, OrderStatus.APPROVED, "a", now=later
    )
    assert store.signals.due_for_expiry(later)[0].id == "sigB"
    assert store.signals.transition(
        "sigB", OrderStatus.PENDING, OrderStatus.EXPIRED, "system", now=later
    )
    assert store.signals.decided_by("sigA") == "a"
    with pytest.raises(ValueError, match="cannot go from"):
        store.signals.transition("sigA", OrderStatus.FILLED, OrderStatus.PENDING, "x", now=T0)


def test_an_approval_and_its_intent_are_one_step(store: Store) -> None:
    store.signals.save_signal(signal())
    row = store.journal.approve_with_intent(
        "sigA", intent(), actor="telegram:1", origin="chat:1", now=T0, changes={"size_factor": 0.5}
    )
    assert row is not None
    assert store.signals.get_signal("sigA").status is OrderStatus.APPROVED
    assert store.orders.get_by_signal("sigA").client_order_id == "sb-sigA-entry"
    assert (
        store.journal.approve_with_intent(
            "sigA", intent("other"), actor="web:owner", origin=None, now=T0
        )
        is None
    )
    assert store.journal.approved_without_order() == []


def test_a_fill_moves_order_book_and_signal_together(store: Store) -> None:
    store.signals.save_signal(signal())
    row = store.journal.approve_with_intent("sigA", intent(), actor="a", origin=None, now=T0)
    assert row is not None
    store.journal.apply_broker_update(
        row,
        status=OrderStatus.FILLED,
        broker_order_id="B1",
        filled_quantity=10,
        filled_avg_price=25.4,
        submitted_at=T0,
        error=None,
        fill=NewFill(10, 25.4, 0.1, T0),
        planned_stop=PlannedStop(risk_per_share=2.0),
        now=T0,
    )
    position = store.book.open_position("PLTR")
    assert (position.quantity, position.avg_entry_price) == (10, 25.4)
    assert position.stop_price == pytest.approx(23.4)
    assert store.signals.get_signal("sigA").status is OrderStatus.FILLED
    assert store.orders.commission_recorded(row) == pytest.approx(0.1)
    [record] = store.orders.fill_records()
    assert (record.signal_stop, record.signal_price, record.signal_id) == (23.0, 25.0, "sigA")


def test_selling_closes_the_position_with_its_reason(store: Store) -> None:
    store.book.apply_fill("PLTR", OrderSide.BUY, 10, 25.0, 0.0, T0)
    store.book.apply_fill("PLTR", OrderSide.SELL, 4, 26.0, 0.0, T0, exit_reason="signal")
    assert store.book.open_position("PLTR").quantity == 6
    store.book.apply_fill("PLTR", OrderSide.SELL, 6, 24.0, 0.0, T0, exit_reason="stop")
    assert store.book.open_position("PLTR") is None
    closed = store.book.last_position("PLTR")
    assert (closed.exit_reason, closed.realized_pnl) == ("stop", pytest.approx(4 - 6))


def test_the_book_is_corrected_to_the_broker(store: Store) -> None:
    assert "added to the book" in store.book.correct_to_broker("KO", 5, 60.0, T0)
    assert store.book.correct_to_broker("KO", 5, 60.0, T0) is None
    assert "closed in the book" in store.book.correct_to_broker("KO", 0, 0.0, T0)
    assert store.book.last_position("KO").exit_reason == "broker"


def test_the_trading_state_changes_by_compare_and_set(store: Store) -> None:
    halted = TradingStatus(
        state=TradingState.HALTED, changed_by="telegram:1", reason="kill stop", changed_at=T0
    )
    start = store.state.load_versioned_status()
    assert start.status.state is TradingState.ACTIVE
    assert store.state.change_trading_status(halted, expected_version=start.version)
    assert store.state.change_trading_status(halted, expected_version=start.version) is None
    assert store.state.load_trading_status().changed_by == "telegram:1"


def test_flatten_jobs_equity_and_predictions(store: Store) -> None:
    job = store.flatten.start("telegram:1", origin=None, at=T0)
    assert [j.id for j in store.flatten.unfinished()] == [job.id]
    store.flatten.finish(job.id, status="done", detail="flat", at=T0)
    assert store.flatten.unfinished() == []
    store.equity.record_snapshot(at=T0, equity=10_000, cash=9_000, exposure=1_000, daily_pnl=0)
    store.equity.record_snapshot(at=T0, equity=10_100, cash=9_000, exposure=1_100, daily_pnl=100)
    assert [e.equity for e in store.equity.curve()] == [10_100]
    assert store.equity.latest_before(T0 + timedelta(days=1)).equity == 10_100
    prediction = ModelPrediction(symbol="PLTR", timestamp=T0, probability_up=0.6)
    assert store.predictions.save_predictions([prediction, prediction], now=T0) == 1
    [waiting] = store.predictions.unscored(T0)
    store.predictions.score(waiting, outcome=1, realized_return=0.01, at=T0)
    assert store.predictions.unscored(T0) == []
    assert [p.outcome for p in store.predictions.scored()] == [1]


def test_a_replays_store_keeps_no_prediction_log() -> None:
    """A replay's predictions are never written back, so its store does not keep them
    (and the close's scoring job has nothing to walk)."""
    store = MemoryStore(keep_predictions=False)
    prediction = ModelPrediction(
        symbol="AAA", timestamp=datetime(2024, 7, 1, tzinfo=UTC), probability_up=0.6
    )
    assert store.predictions.save_predictions([prediction]) == 0
    assert store.predictions.unscored(datetime(2025, 1, 1, tzinfo=UTC)) == []
    assert MemoryStore().predictions.save_predictions([prediction]) == 1


def test_fills_since_are_in_time_order_whatever_order_they_arrived_in(store: Store) -> None:
    row, _ = store.orders.write_intent(intent(signal_id=None), T0)
    # A reconciliation may record a fill that happened before one already recorded.
    for minutes, quantity in ((30, 1.0), (10, 2.0), (20, 3.0), (10, 4.0)):
        store.orders.record_fill(
            row, quantity=quantity, price=25.0, commission=0.0, at=T0 + timedelta(minutes=minutes)
        )
    assert [f.quantity for f in store.orders.fills_since(T0)] == [2.0, 4.0, 3.0, 1.0]
    assert [f.quantity for f in store.orders.fills_since(T0 + timedelta(minutes=15))] == [3.0, 1.0]
    assert store.orders.fills_since(T0 + timedelta(minutes=31)) == []
