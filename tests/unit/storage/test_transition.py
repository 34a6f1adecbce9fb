from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.base.types import OrderStatus, SignalType, TradingMode, TradingSignal
from storage import audit
from storage.database import close_database, open_database
from storage.signals import get_signal, save_signal, transition

NOW = datetime(2024, 3, 1, 15, 0, tzinfo=UTC)


def new_signal(signal_id: str, ttl: timedelta = timedelta(minutes=15)) -> TradingSignal:
    signal = TradingSignal(
        id=signal_id,
        symbol="PLTR",
        signal_type=SignalType.BUY,
        confidence=0.7,
        price=25.0,
        quantity=10,
        stop_price=23.0,
        mode=TradingMode.MANUAL,
        created_at=NOW,
        expires_at=NOW + ttl,
    )
    save_signal(signal)
    return signal


def test_signal_round_trip(database) -> None:
    signal = new_signal("sig_rt")
    assert get_signal("sig_rt") == signal


def test_first_transition_wins_second_loses(database) -> None:
    new_signal("sig_1")
    assert transition("sig_1", OrderStatus.PENDING, OrderStatus.APPROVED, "telegram:1", now=NOW)
    assert not transition("sig_1", OrderStatus.PENDING, OrderStatus.REJECTED, "web:o", now=NOW)
    stored = get_signal("sig_1")
    assert stored.status is OrderStatus.APPROVED
    actions = [(e.actor, e.action) for e in audit.recent()]
    assert actions == [("telegram:1", "signal.approved")]


def test_expired_signal_cannot_be_approved(database) -> None:
    new_signal("sig_old")
    later = NOW + timedelta(minutes=16)
    assert not transition("sig_old", OrderStatus.PENDING, OrderStatus.APPROVED, "auto", now=later)
    assert not transition("sig_old", OrderStatus.PENDING, OrderStatus.EXPIRED, "system", now=NOW)
    assert transition("sig_old", OrderStatus.PENDING, OrderStatus.EXPIRED, "system", now=later)
    assert get_signal("sig_old").status is OrderStatus.EXPIRED


def test_illegal_transition_is_a_bug(database) -> None:
    new_signal("sig_x")
    with pytest.raises(ValueError, match="cannot go from pending to filled"):
        transition("sig_x", OrderStatus.PENDING, OrderStatus.FILLED, "auto", now=NOW)


def race_on_loop_thread(signal_id: str) -> tuple[bool, bool]:
    """Approve from the calling (event loop) thread while a worker thread rejects."""
    barrier = threading.Barrier(2)
    thread_result: list[bool] = []

    def worker() -> None:
        barrier.wait()
        thread_result.append(
            transition(signal_id, OrderStatus.PENDING, OrderStatus.REJECTED, "telegram:2", now=NOW)
        )

    thread = threading.Thread(target=worker)
    thread.start()
    barrier.wait()
    loop_won = transition(signal_id, OrderStatus.PENDING, OrderStatus.APPROVED, "web:o", now=NOW)
    thread.join()
    return loop_won, thread_result[0]


async def test_thread_and_event_loop_race_has_exactly_one_winner(tmp_path: Path) -> None:
    """A front end on the loop and a worker thread decide the same signals at once."""
    open_database(tmp_path / "race.db")
    try:
        rounds = 40
        for i in range(rounds):
            new_signal(f"sig_{i}")
        outcomes = [race_on_loop_thread(f"sig_{i}") for i in range(rounds)]
        assert all(loop != worker for loop, worker in outcomes), "exactly one winner"
        for i, (loop_won, _) in enumerate(outcomes):
            expected = OrderStatus.APPROVED if loop_won else OrderStatus.REJECTED
            assert get_signal(f"sig_{i}").status is expected
        assert len(audit.recent(limit=1000, action_prefix="signal.")) == rounds
    finally:
        close_database()
