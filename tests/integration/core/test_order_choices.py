"""Approving from a phone (issue 18), through the Engine with the paper broker: change
the order before approving, approve outside market hours for the open or for extended
hours, and viewers who may look but not change anything."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from core.agent.engine import InvalidRequest, NotAllowed, OrderChange
from core.base.types import OrderStatus
from storage import audit, orders
from storage.models import PaperOrder
from storage.orders import PROTECT

AFTER_THE_CLOSE = datetime(2024, 7, 5, 20, 30, tzinfo=UTC)  # Friday 16:30 New York
MONDAY_OPEN = datetime(2024, 7, 8, 13, 30, tzinfo=UTC)


def run(coroutine):  # type: ignore[no-untyped-def]
    return asyncio.run(coroutine)


def waiting_buy(agent, predictor, symbol: str = "AAA"):  # type: ignore[no-untyped-def]
    run(agent.engine.set_mode("manual", "system"))
    predictor.probabilities = {symbol: 0.75}
    run(agent.engine.run_cycle())
    [signal] = run(agent.engine.pending_signals())
    return signal


def entry_order(signal_id: str):  # type: ignore[no-untyped-def]
    return orders.get_by_signal(signal_id)


def test_half_size_a_limit_and_a_tighter_stop_make_one_changed_order(agent) -> None:
    agent, predictor = agent
    signal = waiting_buy(agent, predictor)
    choices = run(agent.engine.order_choices(signal.id))
    assert choices.market_open
    assert choices.half_quantity == signal.quantity // 2
    assert len(choices.suggested_limits) == 3
    assert all(limit < choices.quote for limit in choices.suggested_limits)
    assert signal.stop_price < choices.tighter_stop < signal.price
    change = OrderChange(
        size_factor=0.5, limit_price=choices.suggested_limits[0], stop_price=choices.tighter_stop
    )
    decision = run(agent.engine.approve(signal.id, "telegram:1", "chat:1", change=change))
    row = entry_order(signal.id)
    assert (row.quantity, row.order_type, row.limit_price) == (
        signal.quantity // 2,
        "limit",
        choices.suggested_limits[0],
    )
    assert row.planned_stop == choices.tighter_stop
    assert f"limit {choices.suggested_limits[0]:.2f}" in decision.message
    assert PaperOrder.select().where(PaperOrder.order_type != "stop").count() == 1
    modified = audit.recent(action_prefix="signal.modified")[0]
    assert modified.actor == "telegram:1"
    assert modified.details["size_factor"] == 0.5
    assert modified.details["stop_price"] == choices.tighter_stop


def test_a_changed_order_is_rechecked(agent) -> None:
    agent, predictor = agent
    signal = waiting_buy(agent, predictor)
    far = round(signal.price * 0.8, 2)  # outside the 2% price collar
    decision = run(
        agent.engine.approve(signal.id, "telegram:1", change=OrderChange(limit_price=far))
    )
    assert decision.status is OrderStatus.FAILED
    assert "collar" in decision.message
    assert PaperOrder.select().count() == 0


def test_a_stop_may_only_tighten(agent) -> None:
    agent, predictor = agent
    signal = waiting_buy(agent, predictor)
    with pytest.raises(InvalidRequest, match="tighter stop lies between"):
        run(
            agent.engine.approve(
                signal.id, "telegram:1", change=OrderChange(stop_price=signal.stop_price - 1)
            )
        )
    assert run(agent.engine.signal(signal.id)).status is OrderStatus.PENDING


def test_after_the_close_a_signal_asks_and_approving_it_now_spends_nothing(agent, clock) -> None:
    agent, predictor = agent
    clock.set(AFTER_THE_CLOSE)  # a cycle run by hand in the evening
    agent.services.market_is_open = lambda: False
    signal = waiting_buy(agent, predictor)
    choices = run(agent.engine.order_choices(signal.id))
    assert not choices.market_open
    assert choices.next_open == MONDAY_OPEN
    with pytest.raises(InvalidRequest, match="market is closed"):
        run(agent.engine.approve(signal.id, "telegram:1"))
    assert run(agent.engine.signal(signal.id)).status is OrderStatus.PENDING, "nothing spent"
    decision = run(agent.engine.approve(signal.id, "telegram:1", timing="open"))
    assert "queued for the open" in decision.message
    clock.set(MONDAY_OPEN)
    agent.services.market_is_open = lambda: True
    agent.session.before_open()
    agent.session.at_open()
    assert entry_order(signal.id).status == OrderStatus.FILLED.value


def test_queued_for_the_open_is_visible_cancellable_and_sent_at_the_open(agent, clock) -> None:
    agent, predictor = agent
    run(agent.engine.set_mode("manual", "system"))
    predictor.probabilities = {"AAA": 0.75, "BBB": 0.75}
    clock.set(datetime(2024, 7, 5, 19, 55, tzinfo=UTC))  # 15:55: signals wait past 16:00
    run(agent.engine.run_cycle())
    pending = {s.symbol: s for s in run(agent.engine.pending_signals())}
    clock.set(datetime(2024, 7, 5, 19, 59, 30, tzinfo=UTC))
    agent.services.market_is_open = lambda: False  # the broker says closed (early close)
    for symbol in ("AAA", "BBB"):
        decision = run(agent.engine.approve(pending[symbol].id, "telegram:1", timing="open"))
        assert decision.status is OrderStatus.APPROVED
        assert "queued for the open" in decision.message
    queued = run(agent.engine.queued_orders())
    assert [q.order.split()[2] for q in queued] == ["AAA", "BBB"]
    assert queued[0].send_after == datetime(2024, 7, 8, 13, 20, tzinfo=UTC)
    run(agent.engine.cancel_queued(pending["BBB"].id, "telegram:1"))
    assert PaperOrder.select().count() == 0, "nothing went out before the open"

    clock.set(MONDAY_OPEN)
    agent.services.market_is_open = lambda: True
    agent.session.before_open()
    agent.session.at_open()
    assert entry_order(pending["AAA"].id).status == OrderStatus.FILLED.value
    assert entry_order(pending["BBB"].id).status == OrderStatus.CANCELLED.value
    assert len(orders.working(symbol="AAA", purpose=PROTECT)) == 1
    assert run(agent.engine.queued_orders()) == []


def test_extended_hours_take_a_limit_order(agent, clock) -> None:
    agent, predictor = agent
    signal = waiting_buy(agent, predictor)
    with pytest.raises(InvalidRequest, match="limit orders only"):
        run(agent.engine.approve(signal.id, "telegram:1", timing="extended"))
    limit = round(signal.price * 0.995, 2)
    run(
        agent.engine.approve(
            signal.id, "telegram:1", change=OrderChange(limit_price=limit), timing="extended"
        )
    )
    row = entry_order(signal.id)
    assert (row.order_type, row.limit_price, bool(row.extended_hours)) == ("limit", limit, True)


def test_a_viewer_may_look_but_not_change_anything(agent) -> None:
    agent, predictor = agent
    engine = agent.engine
    signal = waiting_buy(agent, predictor)
    viewer = "web:viewer"
    assert engine.is_viewer(viewer)
    for attempt in (
        lambda: engine.approve(signal.id, viewer),
        lambda: engine.reject(signal.id, viewer),
        lambda: engine.kill("stop", viewer),
        lambda: engine.resume(viewer),
        lambda: engine.set_mode("auto", viewer),
        lambda: engine.update_settings({"risk_per_trade": 0.01}, viewer),
    ):
        with pytest.raises(NotAllowed):
            run(attempt())
    assert run(engine.status()).pending_signals == 1
    refused = audit.recent(action_prefix="refused")
    assert {e.details["action"] for e in refused} == {
        "approve",
        "reject",
        "kill",
        "resume",
        "mode",
        "settings",
    }
    assert all(e.actor == viewer for e in refused)


def test_countdowns_read_the_demo_window_while_the_clock_waits(agent) -> None:
    agent, predictor = agent
    signal = waiting_buy(agent, predictor)
    left = agent.services.window.seconds_left(signal)
    assert 14 * 60 < left <= 15 * 60, "live: the signal's own 15 minutes"
    agent.services.window.open_until = datetime.now(UTC).replace(microsecond=0)
    assert agent.services.window.seconds_left(signal) <= 1.0
