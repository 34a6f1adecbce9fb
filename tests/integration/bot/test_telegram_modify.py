"""Modify before approve (issue 18), pressed on the phone through the fake Bot API:
½ size, a limit price picked or typed, a tighter stop. Each places exactly one order of
the changed shape, goes through the pre-trade re-check, is audited with what changed,
and the message shows the final order."""

from __future__ import annotations

from core.base.types import OrderStatus, TradingState
from storage import audit
from storage.bot_state import load_trading_status
from storage.models import PaperOrder
from storage.signals import get_signal
from tests.integration.bot.conftest import OWNER, press, replies_to, signal_shown, until


def entries() -> list[PaperOrder]:
    """Orders at the paper exchange other than protective stops."""
    return list(PaperOrder.select().where(PaperOrder.order_type != "stop"))


def decided(signal_id: str) -> bool:
    return get_signal(signal_id).status is not OrderStatus.PENDING


def sent(signal_id: str) -> bool:
    """Decided and its order out (or failed): past approved."""
    return get_signal(signal_id).status not in (OrderStatus.PENDING, OrderStatus.APPROVED)


async def test_half_size_buys_half_the_shares_in_one_order(running, telegram) -> None:
    agent, predictor, _ = running
    shown = await signal_shown(agent, predictor, telegram)
    [pending] = await agent.engine.pending_signals()
    press(telegram, shown, "½ size")
    await until(lambda: get_signal(pending.id).status is OrderStatus.FILLED)
    [order] = entries()
    assert order.quantity == pending.quantity // 2
    assert order.order_type == "market"
    [modified] = audit.recent(action_prefix="signal.modified")
    assert (modified.actor, modified.details["size_factor"]) == ("telegram:42", 0.5)
    half = f"buy {pending.quantity // 2:g} AAA"
    await until(lambda: half in shown.text and "FILLED by telegram:42" in shown.text)
    assert shown.markup is None, "the buttons are gone"
    assert "model record: proven edge" in shown.text, "the record stays after the decision"
    [answer] = telegram.calls_to("answerCallbackQuery")
    assert answer.params["text"] == "Approving (½ size)…"


async def test_a_picked_limit_price_is_the_orders_limit(running, telegram) -> None:
    agent, predictor, _ = running
    shown = await signal_shown(agent, predictor, telegram)
    [pending] = await agent.engine.pending_signals()
    choices = await agent.engine.order_choices(pending.id)
    press(telegram, shown, "Limit…")
    await until(lambda: shown.buttons()[0][0].startswith("$"))
    assert [label for label, _ in shown.buttons()] == [
        *(f"${price:,.2f}" for price in choices.suggested_limits),
        "✍️ Type a price",
        "↩ Back",
    ]
    assert entries() == [], "showing prices decides nothing"
    press(telegram, shown, f"${choices.suggested_limits[1]:,.2f}")
    await until(lambda: sent(pending.id))
    [order] = entries()
    assert (order.order_type, order.limit_price, order.quantity) == (
        "limit",
        choices.suggested_limits[1],
        pending.quantity,
    )
    await until(lambda: f"limit {choices.suggested_limits[1]:.2f}" in shown.text)


async def test_back_from_the_prices_shows_the_main_buttons_again(running, telegram) -> None:
    agent, predictor, _ = running
    shown = await signal_shown(agent, predictor, telegram)
    first = [label for label, _ in shown.buttons()]
    press(telegram, shown, "Limit…")
    await until(lambda: shown.buttons()[0][0].startswith("$"))
    press(telegram, shown, "↩ Back")
    await until(lambda: [label for label, _ in shown.buttons()] == first)
    assert entries() == []


async def test_a_typed_limit_is_checked_then_approved(running, telegram) -> None:
    agent, predictor, _ = running
    shown = await signal_shown(agent, predictor, telegram)
    [pending] = await agent.engine.pending_signals()
    press(telegram, shown, "Limit…")
    await until(lambda: shown.buttons()[0][0].startswith("$"))
    press(telegram, shown, "✍️ Type a price")

    def questions() -> list:  # type: ignore[type-arg]
        return [m for m in replies_to(telegram) if "Your limit price" in m.text]

    await until(lambda: len(questions()) == 1)
    [question] = questions()
    assert (question.markup or {}).get("force_reply") is True
    telegram.send_text(OWNER, "abc", reply_to=question.message_id)
    await until(lambda: len(questions()) == 2)
    assert questions()[1].text.startswith("'abc' is not a price")
    far = f"{pending.price * 0.5:.2f}"
    telegram.send_text(OWNER, far, reply_to=questions()[1].message_id)
    await until(lambda: len(questions()) == 3)
    assert questions()[2].text.startswith(f"'{far}' is 5")
    assert "price_collar_pct" in questions()[2].text
    assert entries() == [], "a typo spends nothing"
    assert not decided(pending.id)

    quote = (await agent.engine.order_choices(pending.id)).quote
    limit = round(quote * 0.999, 2)
    telegram.send_text(OWNER, f"${limit}", reply_to=questions()[2].message_id)
    await until(lambda: sent(pending.id))
    [order] = entries()
    assert (order.order_type, order.limit_price) == ("limit", limit)
    await until(lambda: f"limit {limit:.2f}" in shown.text and shown.markup is None)
    await until(
        lambda: any(m.text.startswith(("SUBMITTED", "FILLED")) for m in replies_to(telegram))
    )


async def test_a_tighter_stop_protects_the_position_at_that_price(running, telegram) -> None:
    agent, predictor, _ = running
    shown = await signal_shown(agent, predictor, telegram)
    [pending] = await agent.engine.pending_signals()
    tighter = (await agent.engine.order_choices(pending.id)).tighter_stop
    assert tighter is not None
    assert pending.stop_price < tighter < pending.price
    press(telegram, shown, "Stop $")
    await until(lambda: get_signal(pending.id).status is OrderStatus.FILLED)
    [order] = entries()
    assert order.quantity == pending.quantity
    await until(lambda: PaperOrder.select().where(PaperOrder.order_type == "stop").count() == 1)
    protective = PaperOrder.get(PaperOrder.order_type == "stop")
    # The stop keeps the chosen distance below the actual fill (the plan's own rule).
    distance = order.filled_avg_price - protective.stop_price
    assert abs(distance - (pending.price - tighter)) < 0.011
    assert distance < pending.price - pending.stop_price - 0.01, "tighter than planned"
    await until(lambda: f"stop {tighter:.2f}" in shown.text)


async def test_a_changed_order_is_rechecked_before_it_goes_out(running, telegram) -> None:
    """½ size pressed while trading is halted: approved, re-checked, refused — no order."""
    agent, predictor, _ = running
    shown = await signal_shown(agent, predictor, telegram)
    [pending] = await agent.engine.pending_signals()
    await agent.engine.kill("stop", "web:owner")
    assert load_trading_status().state is TradingState.HALTED
    press(telegram, shown, "½ size")
    await until(lambda: get_signal(pending.id).status is OrderStatus.FAILED)
    assert entries() == []
    await until(lambda: "FAILED by telegram:42" in shown.text)
    assert "not sent" in shown.text
