"""The Telegram front end against the fake Bot API server, with the agent on the
simulated market and the paper broker."""

from __future__ import annotations

import asyncio

from bot.app import TelegramFrontEnd
from bot.callbacks import CallbackSigner
from core.base.types import OrderStatus, TradingState
from storage import audit, book
from storage.bot_state import load_trading_status
from storage.database import close_database
from storage.models import PaperOrder
from storage.signals import get_signal
from tests.integration.bot.conftest import (
    OWNER,
    STRANGER,
    button,
    buttons,
    calls,
    signal_message,
    telegram_settings,
    texts,
    until,
)
from tests.integration.conftest import start_agent


def entry_orders() -> int:
    """Orders at the paper exchange other than protective stops."""
    return PaperOrder.select().where(PaperOrder.order_type != "stop").count()


async def test_signal_arrives_with_a_chart_and_buttons_and_approve_sends_one_order(
    running, telegram
) -> None:
    agent, predictor, _ = running
    photo = await signal_message(agent, predictor, telegram)
    assert photo.params["chat_id"] == OWNER
    assert isinstance(photo.params["photo"], bytes)
    assert photo.params["photo"][:4] == b"\x89PNG"
    caption = photo.params["caption"]
    for part in ("BUY", "AAA", "If the stop at $", "is hit: −$", "P(", "left to decide"):
        assert part in caption
    assert "onfidence" not in caption
    approve = button(photo, "✅ Approve")
    assert button(photo, "❌ Reject").startswith("r|")
    assert all(len(b.encode()) <= 64 for b in buttons(photo))
    [pending] = await agent.engine.pending_signals()

    message_id = 5000
    telegram.press_button(OWNER, approve, message_id=message_id, photo=True)
    await calls(telegram, "editMessageCaption")
    await until(lambda: get_signal(pending.id).status is OrderStatus.FILLED)
    assert entry_orders() == 1
    answers = telegram.calls_to("answerCallbackQuery")
    assert answers[0].params.get("text") == "Approving…"
    await until(
        lambda: any(
            "FILLED by telegram:42" in c.params["caption"]
            for c in telegram.calls_to("editMessageCaption")
        )
    )
    for edit in telegram.calls_to("editMessageCaption"):
        assert not edit.params.get("reply_markup"), "the buttons are removed"

    telegram.press_button(OWNER, approve, message_id=message_id, photo=True)  # double tap
    await until(lambda: len(telegram.calls_to("answerCallbackQuery")) >= 2)
    assert telegram.calls_to("answerCallbackQuery")[1].params["text"] == "Already filled."
    assert entry_orders() == 1


async def test_reject_sends_no_order(running, telegram) -> None:
    agent, predictor, _ = running
    photo = await signal_message(agent, predictor, telegram)
    reject = button(photo, "❌ Reject")
    [pending] = await agent.engine.pending_signals()
    telegram.press_button(OWNER, reject, message_id=1, photo=True)
    await until(lambda: get_signal(pending.id).status is OrderStatus.REJECTED)
    assert entry_orders() == 0


async def test_forged_data_strangers_and_groups_are_refused_and_audited(running, telegram) -> None:
    agent, predictor, _ = running
    photo = await signal_message(agent, predictor, telegram)
    approve = button(photo, "✅ Approve")
    [pending] = await agent.engine.pending_signals()
    forged = CallbackSigner("not the bot's secret").sign("a", pending.id, chat_id=OWNER)
    telegram.press_button(OWNER, forged, message_id=1, photo=True)
    telegram.send_command(STRANGER, "/status")
    telegram.press_button(STRANGER, approve, message_id=1, chat_id=STRANGER, photo=True)
    telegram.press_button(
        OWNER, approve, message_id=1, chat_id=-100123, chat_type="group", photo=True
    )
    # Updates are handled in order: the group press's row comes after the others.
    await until(lambda: len(audit.recent(action_prefix="telegram.")) >= 3)
    events = audit.recent(action_prefix="telegram.")
    assert sorted(e.action for e in events) == [
        "telegram.forged_callback",
        "telegram.refused",
        "telegram.refused",
    ]
    stranger = next(e for e in events if e.actor == f"telegram:{STRANGER}")
    assert stranger.details["text"] == "/status"
    assert stranger.details["attempts"] == 1  # the press after it is counted, not written
    assert get_signal(pending.id).status is OrderStatus.PENDING
    assert entry_orders() == 0
    stranger_replies = [
        c for c in telegram.calls_to("sendMessage") if c.params["chat_id"] == STRANGER
    ]
    assert [c.params["text"] for c in stranger_replies] == ["This is a private bot."]


async def test_an_expired_signal_button_says_expired(running, telegram, clock) -> None:
    agent, predictor, _ = running
    photo = await signal_message(agent, predictor, telegram)
    approve = button(photo, "✅ Approve")
    [pending] = await agent.engine.pending_signals()
    clock.advance(__import__("datetime").timedelta(minutes=20))
    telegram.press_button(OWNER, approve, message_id=1, photo=True)
    await until(lambda: get_signal(pending.id).status is OrderStatus.EXPIRED)
    await calls(telegram, "editMessageCaption")
    assert any(
        "expired" in (c.params.get("caption") or "").lower()
        for c in telegram.calls_to("editMessageCaption")
    )
    assert entry_orders() == 0


async def test_kill_confirm_stop_then_flatten_then_resume(running, telegram) -> None:
    agent, predictor, _ = running
    await agent.engine.set_mode("auto", "system")
    predictor.probabilities = {"AAA": 0.95}
    await agent.engine.run_cycle()
    assert book.open_position("AAA") is not None
    telegram.send_command(OWNER, "/kill")
    prompt = await calls(telegram, "sendMessage", 1)
    await until(
        lambda: any(
            "reply_markup" in c.params and "Stop trading" in c.params["text"]
            for c in telegram.calls_to("sendMessage")
        )
    )
    kill_prompt = next(
        c for c in telegram.calls_to("sendMessage") if "Stop trading" in c.params["text"]
    )
    stop, flatten, _cancel = buttons(kill_prompt)
    telegram.press_button(OWNER, stop, message_id=2)
    await until(lambda: load_trading_status().state is TradingState.HALTED)
    assert book.open_position("AAA") is not None
    telegram.press_button(OWNER, flatten, message_id=2)
    await until(lambda: book.open_position("AAA") is None)
    telegram.send_command(OWNER, "/resume")
    await until(lambda: load_trading_status().state is TradingState.ACTIVE)
    assert load_trading_status().changed_by == "telegram:42"
    assert prompt


async def test_mode_set_status_and_usage_errors(running, telegram) -> None:
    agent, _, _ = running
    telegram.send_command(OWNER, "/mode hybrid")
    telegram.send_command(OWNER, "/mode banana")
    telegram.send_command(OWNER, "/set risk_per_trade 0.5")
    telegram.send_command(OWNER, "/status")
    telegram.send_command(OWNER, "/frobnicate")
    await until(
        lambda: (
            "Unknown command. /help lists them." in texts(telegram)
            and any(t.startswith("Mode:") for t in texts(telegram))
        )
    )
    replies = texts(telegram)
    assert "Mode set to hybrid." in replies
    assert "Usage: /mode [auto|manual|hybrid]" in replies
    assert any(
        "Not changed" in r and "risk_per_trade = '0.5'" in r and "less than or equal to 0.05" in r
        for r in replies
    )
    status = await agent.engine.status()
    status_text = next(r for r in replies if r.startswith("Mode:"))
    assert f"${status.equity:,.2f}" in status_text
    assert "Trading: ACTIVE" in status_text
    assert "Unknown command. /help lists them." in replies
    assert agent.engine.settings().risk_per_trade == 0.02


async def test_telegram_outage_at_start_does_not_stop_trading(tmp_path, clock, telegram) -> None:
    agent, predictor = start_agent(tmp_path / "home", clock, mode="auto")
    telegram.fail_next("drop", times=4)
    front_end = TelegramFrontEnd(telegram_settings(agent, telegram), agent.engine, max_backoff=0.2)
    task = front_end.start_in_background()
    try:
        predictor.probabilities = {"AAA": 0.95}
        report = await agent.engine.run_cycle()
        assert report.outcomes[0].action == "executed"
        await asyncio.wait_for(task, timeout=15)
        assert agent.engine.telegram_connected is True
        assert telegram.calls_to("setMyCommands")
    finally:
        await front_end.stop()
        close_database()
