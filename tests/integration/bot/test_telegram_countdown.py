"""Time to decide, in the demo (issue 18): the demo driver holds its simulated clock
while a signal waits for the owner; the Telegram message counts down the demo's real
window, one reminder arrives at half-time, an approval while the clock is held
executes, and a signal nobody decides is edited "expired at …".

The owner's window is 30 s here rather than the default minute, and they approve after
20 s: what is checked is that the simulated clock does not move while the owner takes
their time, and that the press still executes at the held moment."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import date

from core.base.types import OrderStatus
from core.drivers.demo import DemoDriver, replay_sessions
from storage.models import PaperOrder
from storage.signals import get_signal
from tests.integration.bot.conftest import OWNER, press, replies_to, until

MONDAY = date(2024, 7, 8)


def seconds_left(text: str) -> int | None:
    match = re.search(r"⏳ (\d+) s left to decide", text)
    return int(match.group(1)) if match else None


def announcement(telegram):  # type: ignore[no-untyped-def]
    return next((m for m in replies_to(telegram) if m.photo), None)


def reminders(telegram) -> list:  # type: ignore[no-untyped-def,type-arg]
    return [m for m in replies_to(telegram) if m.text.startswith("⏰")]


async def demo_day(agent, window: float) -> asyncio.Task[None]:  # type: ignore[no-untyped-def]
    driver = DemoDriver(agent, agent.services.clock)
    return asyncio.create_task(
        replay_sessions(
            driver, [MONDAY], seconds_per_session=0, decision_seconds=window, sessions=1
        )
    )


async def test_the_demo_waits_for_the_owner_who_is_reminded_and_approves(
    running, telegram, clock
) -> None:
    agent, predictor, _ = running
    predictor.probabilities = {"AAA": 0.57}
    day = await demo_day(agent, window=30.0)
    await until(lambda: announcement(telegram) is not None)
    shown = announcement(telegram)
    shown_at = time.monotonic()
    # The message shows the demo's window, not the signal's 15 minutes of simulated time.
    await until(lambda: (seconds_left(shown.text) or 99) <= 30)
    held = clock.now()
    [pending] = await agent.engine.pending_signals()

    await until(lambda: reminders(telegram), timeout=20)
    [reminder] = reminders(telegram)
    assert reminder.reply_to == shown.message_id
    assert "left to decide: BUY" in reminder.text
    assert (seconds_left(reminder.text.replace("⏰", "⏳", 1)) or 0) <= 15
    # A person takes their time: the approval comes 20 s after the message.
    await asyncio.sleep(max(0.0, 20.0 - (time.monotonic() - shown_at)))
    assert clock.now() == held, "the simulated clock waited for the owner"
    assert not day.done()

    press(telegram, shown, "✅ Approve")
    await until(lambda: get_signal(pending.id).status is OrderStatus.FILLED)
    [order] = PaperOrder.select().where(PaperOrder.order_type != "stop")
    assert order.submitted_at == held, "executed at the moment the clock was held"
    await asyncio.wait_for(day, timeout=10)  # decided: the day goes on to its close
    assert clock.now() > held
    assert len(reminders(telegram)) == 1
    assert shown.chat_id == OWNER


async def test_nobody_decides_the_reminder_comes_first_then_expired_at(
    running, telegram, clock
) -> None:
    agent, predictor, _ = running
    predictor.probabilities = {"AAA": 0.57}
    day = await demo_day(agent, window=3.0)
    await until(lambda: announcement(telegram) is not None)
    shown = announcement(telegram)
    await until(lambda: "EXPIRED at" in shown.text, timeout=15)
    await asyncio.wait_for(day, timeout=10)
    assert shown.markup is None, "no buttons on an expired signal"
    [reminder] = reminders(telegram)
    edits = [c for c in telegram.calls_to("editMessageCaption") if "EXPIRED" in str(c.params)]
    sent = next(
        c for c in telegram.calls_to("sendMessage") if str(c.params["text"]).startswith("⏰")
    )
    assert sent.received < edits[0].received, "the reminder came before the expiry"
    assert reminder.reply_to == shown.message_id
    assert PaperOrder.select().count() == 0
