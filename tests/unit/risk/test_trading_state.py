from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.base.settings import RuntimeSettings
from core.base.types import KillScope, TradingState, TradingStatus
from risk.daily_loss import SessionStart, evaluate_daily_loss, roll_session, session_of
from risk.trading_state import OrderPurpose, change_state, kill, order_allowed, resume

T0 = datetime(2024, 3, 1, 15, tzinfo=UTC)
ACTIVE = TradingStatus(
    state=TradingState.ACTIVE, changed_by="system", reason="start", changed_at=T0
)


@pytest.mark.parametrize(
    ("state", "intent", "allowed"),
    [
        (TradingState.ACTIVE, OrderPurpose.OPEN, True),
        (TradingState.ACTIVE, OrderPurpose.REDUCE, True),
        (TradingState.REDUCING, OrderPurpose.OPEN, False),
        (TradingState.REDUCING, OrderPurpose.REDUCE, True),
        (TradingState.REDUCING, OrderPurpose.CANCEL, True),
        (TradingState.HALTED, OrderPurpose.OPEN, False),
        (TradingState.HALTED, OrderPurpose.REDUCE, False),
        (TradingState.HALTED, OrderPurpose.FLATTEN, True),
        (TradingState.HALTED, OrderPurpose.CANCEL, True),
        (TradingState.HALTED, OrderPurpose.PROTECT, True),
        (TradingState.REDUCING, OrderPurpose.PROTECT, True),
    ],
)
def test_order_gate(state: TradingState, intent: OrderPurpose, allowed: bool) -> None:
    ok, reason = order_allowed(state, intent)
    assert ok is allowed
    assert (reason is None) is allowed
    if not allowed:
        assert state.value.upper() in reason


def test_kill_scopes() -> None:
    stop = kill(ACTIVE, KillScope.STOP, actor="telegram:1", now=T0)
    assert stop.status.state is TradingState.HALTED
    assert stop.close_all_positions is False
    assert stop.status.changed_by == "telegram:1"
    flatten = kill(ACTIVE, KillScope.FLATTEN, actor="web:o", now=T0)
    assert flatten.close_all_positions is True
    assert flatten.status.reason == "kill flatten"
    back = resume(flatten.status, actor="telegram:1", now=T0)
    assert back.state is TradingState.ACTIVE


def test_transitions_need_actor_and_reason() -> None:
    with pytest.raises(ValueError, match="actor"):
        change_state(ACTIVE, TradingState.HALTED, actor="", reason="x", now=T0)
    with pytest.raises(ValueError, match="reason"):
        change_state(ACTIVE, TradingState.HALTED, actor="risk", reason="", now=T0)


# --- daily loss -------------------------------------------------------------

RULES = RuntimeSettings()  # 5% limit, halted


@pytest.mark.parametrize(
    ("equity", "halts"),
    [(9_501.0, False), (9_500.01, False), (9_500.0, True), (9_000.0, True)],
)
def test_daily_loss_boundary(equity: float, halts: bool) -> None:
    start = SessionStart(session=date(2024, 3, 1), equity=10_000.0)
    new = evaluate_daily_loss(ACTIVE, start, equity, RULES, T0)
    if halts:
        assert new.state is TradingState.HALTED
        assert new.changed_by == "risk"
        assert "daily loss limit" in new.reason
    else:
        assert new is None


def test_daily_loss_can_reduce_instead() -> None:
    rules = RuntimeSettings(daily_loss_action="reducing")
    start = SessionStart(session=date(2024, 3, 1), equity=10_000.0)
    assert evaluate_daily_loss(ACTIVE, start, 9_000, rules, T0).state is TradingState.REDUCING


@pytest.mark.parametrize(
    ("utc", "session"),
    [
        # Winter (EST, UTC−5): New York midnight is 05:00 UTC.
        (datetime(2024, 3, 8, 4, 59, tzinfo=UTC), date(2024, 3, 7)),
        (datetime(2024, 3, 8, 5, 0, tzinfo=UTC), date(2024, 3, 8)),
        # After the spring change on 2024-03-10 (EDT, UTC−4): midnight is 04:00 UTC.
        (datetime(2024, 3, 11, 3, 59, tzinfo=UTC), date(2024, 3, 10)),
        (datetime(2024, 3, 11, 4, 0, tzinfo=UTC), date(2024, 3, 11)),
        # After the autumn change on 2024-11-03: back to 05:00 UTC.
        (datetime(2024, 11, 4, 4, 30, tzinfo=UTC), date(2024, 11, 3)),
        (datetime(2024, 11, 4, 5, 0, tzinfo=UTC), date(2024, 11, 4)),
    ],
)
def test_session_boundary_follows_new_york_across_dst(utc: datetime, session: date) -> None:
    assert session_of(utc) == session


def test_halt_lasts_until_next_session_then_lifts() -> None:
    friday_close = datetime(2024, 3, 8, 20, 0, tzinfo=UTC)
    start = roll_session(None, friday_close, 10_000.0)
    halted = evaluate_daily_loss(ACTIVE, start, 9_400.0, RULES, friday_close)
    assert halted.state is TradingState.HALTED
    # Same session, equity recovered: still halted.
    later = datetime(2024, 3, 8, 20, 30, tzinfo=UTC)
    assert (
        evaluate_daily_loss(halted, roll_session(start, later, 9_900), 9_900, RULES, later) is None
    )
    # Monday after the DST change: a new session starts from the current equity.
    monday = datetime(2024, 3, 11, 13, 31, tzinfo=UTC)
    new_start = roll_session(start, monday, 9_400.0)
    assert new_start == SessionStart(session=date(2024, 3, 11), equity=9_400.0)
    lifted = evaluate_daily_loss(halted, new_start, 9_400.0, RULES, monday)
    assert lifted.state is TradingState.ACTIVE
    assert lifted.changed_by == "risk"


def test_a_persons_kill_is_not_lifted_by_a_new_session() -> None:
    killed = kill(ACTIVE, KillScope.STOP, actor="telegram:1", now=T0).status
    next_day = datetime(2024, 3, 4, 15, tzinfo=UTC)
    start = roll_session(None, next_day, 10_000)
    assert evaluate_daily_loss(killed, start, 10_000, RULES, next_day) is None
