"""Approving outside market hours from the phone (issue 18), with the paper exchange:
after the close a signal's message offers "At the open" and "Extended hours…" instead
of failing; an order queued for the open shows in /signals with Cancel, is sent
market-on-open (`opg`) just before the open and fills at the open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.base.types import OrderStatus
from storage import orders
from storage.models import PaperOrder
from storage.signals import get_signal
from tests.integration.bot.conftest import OWNER, press, replies_to, signal_shown, until

AFTER_THE_CLOSE = datetime(2024, 7, 5, 20, 30, tzinfo=UTC)  # Friday 16:30 New York
BEFORE_MONDAY_OPEN = datetime(2024, 7, 8, 13, 20, tzinfo=UTC)  # 09:20: queued orders go
MONDAY_OPEN = datetime(2024, 7, 8, 13, 31, tzinfo=UTC)


def labels(shown) -> list[str]:  # type: ignore[no-untyped-def]
    return [label for label, _ in shown.buttons()]


async def test_after_the_close_approve_for_the_open_queue_cancel_and_fill_at_the_open(
    running, telegram, clock
) -> None:
    agent, predictor, _ = running
    clock.set(AFTER_THE_CLOSE)  # a cycle run by hand in the evening
    aaa = await signal_shown(agent, predictor, telegram, "AAA")
    bbb = await signal_shown(agent, predictor, telegram, "BBB")
    assert labels(aaa)[:2] == ["🌅 At the open", "❌ Reject"]
    assert "🌙 Extended hours…" in labels(aaa)
    assert "✅ Approve" not in labels(aaa)
    assert "🌙 Market closed — opens Jul 8, 2024, 9:30 AM EDT" in aaa.text
    pending = {s.symbol: s for s in await agent.engine.pending_signals()}

    press(telegram, aaa, "🌅 At the open")
    press(telegram, bbb, "🌅 At the open")
    await until(lambda: "queued for the open" in aaa.text and "queued for the open" in bbb.text)
    assert aaa.markup is None
    assert "re-checked and sent Jul 8, 2024, 9:20 AM EDT" in aaa.text, "in the owner's zone"
    for symbol in ("AAA", "BBB"):
        assert get_signal(pending[symbol].id).status is OrderStatus.APPROVED
        assert orders.get_by_signal(pending[symbol].id).time_in_force == "opg"
    assert PaperOrder.select().count() == 0, "nothing goes out before the open"

    telegram.send_command(OWNER, "/signals")
    await until(lambda: sum("Waiting for the open" in m.text for m in replies_to(telegram)) == 2)
    queued = {
        m.text.split()[7]: m for m in replies_to(telegram) if "Waiting for the open" in m.text
    }
    assert set(queued) == {"AAA", "BBB"}, queued
    assert labels(queued["BBB"]) == ["✖ Cancel this order"]
    press(telegram, queued["BBB"], "✖ Cancel")
    await until(lambda: queued["BBB"].text.startswith("CANCELLED by telegram:42"))
    assert orders.get_by_signal(pending["BBB"].id).status == OrderStatus.CANCELLED.value

    clock.set(BEFORE_MONDAY_OPEN)
    agent.session.before_open()  # re-checked and sent market-on-open, still closed
    [sent] = PaperOrder.select()
    assert (sent.symbol, sent.order_type, sent.status) == ("AAA", "market", "submitted")
    clock.set(MONDAY_OPEN)
    agent.session.at_open()
    await until(lambda: get_signal(pending["AAA"].id).status is OrderStatus.FILLED)
    fill = PaperOrder.get(PaperOrder.symbol == "AAA", PaperOrder.order_type == "market")
    assert fill.filled_quantity == pending["AAA"].quantity
    assert PaperOrder.select().where(PaperOrder.symbol == "BBB").count() == 0
    await until(lambda: any(m.text.startswith("Filled: buy") for m in replies_to(telegram)))


async def test_extended_hours_pick_a_limit_for_a_limit_order(running, telegram, clock) -> None:
    agent, predictor, _ = running
    clock.set(AFTER_THE_CLOSE)
    shown = await signal_shown(agent, predictor, telegram)
    [pending] = await agent.engine.pending_signals()
    press(telegram, shown, "🌙 Extended hours…")
    await until(lambda: labels(shown)[0].startswith("$"))
    choices = await agent.engine.order_choices(pending.id)
    press(telegram, shown, f"${choices.suggested_limits[0]:,.2f}")
    await until(lambda: orders.get_by_signal(pending.id) is not None)
    row = orders.get_by_signal(pending.id)
    assert (row.order_type, row.limit_price, bool(row.extended_hours), row.time_in_force) == (
        "limit",
        choices.suggested_limits[0],
        True,
        "day",
    )
    await until(lambda: "extended hours" in shown.text and shown.markup is None)


async def test_a_message_sent_while_open_pressed_after_the_close_offers_the_open(
    running, telegram, clock
) -> None:
    agent, predictor, _ = running
    clock.set(datetime(2024, 7, 5, 19, 55, tzinfo=UTC))  # 15:55: the signal waits past 16:00
    shown = await signal_shown(agent, predictor, telegram)
    [pending] = await agent.engine.pending_signals()
    assert labels(shown)[0] == "✅ Approve"
    # 15:59:30 and the broker says closed (an early close): signals expire at the
    # calendar's close, so this is when a message can outlive the session.
    clock.advance(timedelta(minutes=4, seconds=30))
    agent.services.market_is_open = lambda: False
    press(telegram, shown, "✅ Approve")
    await until(lambda: labels(shown)[:1] == ["🌅 At the open"])
    assert get_signal(pending.id).status is OrderStatus.PENDING, "nothing spent"
    await until(lambda: any("market is closed" in m.text for m in replies_to(telegram)))
    press(telegram, shown, "🌅 At the open")
    await until(lambda: get_signal(pending.id).status is OrderStatus.APPROVED)
    assert orders.get_by_signal(pending.id).time_in_force == "opg"
