"""Viewers (TELEGRAM_VIEWERS) through the fake Bot API: they read like the owner —
/status, /signals without buttons — and every change they ask for (approve, kill,
mode, set, notify, resume) is refused by the Engine, audited, and explained to them."""

from __future__ import annotations

import pytest

from bot.outbox import MERGE_SEPARATOR
from core.base.types import OrderStatus, TradingMode, TradingState
from storage import audit
from storage.bot_state import load_trading_status
from storage.signals import get_signal
from tests.integration.bot.conftest import VIEWER, replies_to, signal_shown, until

REFUSED = "Refused — "


@pytest.fixture
def viewers() -> tuple[int, ...]:
    return (VIEWER,)


def refusals() -> set[str]:
    return {
        e.details["action"]
        for e in audit.recent(action_prefix="refused")
        if e.actor == f"telegram:{VIEWER}"
    }


async def test_a_viewer_reads_but_every_change_is_refused_and_audited(running, telegram) -> None:
    agent, predictor, front_end = running
    await signal_shown(agent, predictor, telegram)
    [pending] = await agent.engine.pending_signals()
    assert not any(chat == VIEWER for chat, _ in telegram.shown), "signals go to the owner"

    telegram.send_command(VIEWER, "/status")
    telegram.send_command(VIEWER, "/signals")
    await until(lambda: len(replies_to(telegram, VIEWER)) >= 2)
    shown = replies_to(telegram, VIEWER)
    assert any(m.text.startswith("Mode: manual") for m in shown)
    [copy] = [m for m in shown if pending.id in m.text]
    assert copy.markup is None, "a viewer's /signals has no buttons"
    assert "left to decide" in copy.text

    for command in ("/kill", "/mode auto", "/set risk_per_trade 0.01", "/notify fills off"):
        telegram.send_command(VIEWER, command)
    # A copied Approve button, signed for the viewer's own chat.
    approve = front_end.context.signer.sign("a", pending.id, chat_id=VIEWER)
    telegram.press_button(VIEWER, approve, message_id=1)
    await until(lambda: refusals() == {"kill", "mode", "settings", "approve"})
    await until(lambda: telegram.calls_to("answerCallbackQuery"))

    toast = telegram.calls_to("answerCallbackQuery")[-1].params["text"]
    assert toast.startswith(REFUSED)
    assert "approve" in toast

    def refused() -> list[str]:
        """Answers waiting together share a message: split, one per command."""
        answers = (a for m in replies_to(telegram, VIEWER) for a in m.text.split(MERGE_SEPARATOR))
        return [a for a in answers if a.startswith(REFUSED)]

    await until(lambda: len(refused()) == 4)
    assert [t.split(":")[0] for t in refused()] == [
        f"{REFUSED}kill",
        f"{REFUSED}mode",
        f"{REFUSED}settings",
        f"{REFUSED}settings",
    ]
    assert all(t.endswith("you may look, not change anything") for t in refused())
    assert get_signal(pending.id).status is OrderStatus.PENDING
    assert load_trading_status().state is TradingState.ACTIVE
    settings = agent.engine.settings()
    assert (settings.mode, settings.risk_per_trade, settings.notify_fills) == (
        TradingMode.MANUAL,
        0.02,
        "on",
    )
    assert not [m for m in replies_to(telegram, VIEWER) if "Stop trading?" in m.text]


async def test_the_owner_is_not_a_viewer(running, telegram) -> None:
    agent, _, _ = running
    telegram.send_command(42, "/notify fills silent")
    await until(lambda: agent.engine.settings().notify_fills == "silent")
    assert refusals() == set()
