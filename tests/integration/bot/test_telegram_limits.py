"""Telegram's limits, measured where Telegram would measure them (the fake Bot API): a
burst of commands is paced per chat and still answered, a stranger's flood costs one
reply and one audit row and never delays the owner, notifications are summarised, and
every message that carries a signal's buttons loses them once the signal is decided."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.pacing import CHAT_BURST, CHAT_RATE
from core.agent.engine import EngineError
from core.base.events import Alert, OrderFilled
from core.base.types import OrderSide
from storage import audit
from tests.fakes.telegram_server import FakeTelegramServer
from tests.integration.bot.conftest import (
    OWNER,
    STRANGER,
    button,
    signal_message,
    texts,
    until,
)

PARTNER = 43
"""A second allow-listed user, with a private chat of their own."""


def most_in_any_window(times: list[float], seconds: float) -> int:
    """The largest number of `times` inside any window `seconds` long."""
    times = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(times):
        while times[first] <= at - seconds:
            first += 1
        most = max(most, last - first + 1)
    return most


def sent_texts(telegram: FakeTelegramServer, chat_id: int) -> list[str]:
    return [
        str(c.params.get("text") or c.params.get("caption") or "")
        for c in telegram.sent_to(chat_id)
    ]


async def test_a_burst_of_owner_commands_is_paced_per_chat_and_every_command_is_answered(
    running, telegram
) -> None:
    answer_starts = {
        "/status": "Mode:",
        "/pnl": "P&L today",
        "/positions": "No open positions.",
        "/trades": "No trades yet.",
    }
    for _ in range(50):
        for command in answer_starts:
            telegram.send_command(OWNER, command)
    await until(lambda: len(texts(telegram)) >= 200, timeout=60)

    answers = texts(telegram)
    for start in answer_starts.values():
        assert sum(answer.startswith(start) for answer in answers) == 50
    arrivals = [call.received for call in telegram.sent_to(OWNER)]
    # A burst of CHAT_BURST at first, then one a second (+1: a window can hold both ends).
    assert most_in_any_window(arrivals, 1.0) <= CHAT_BURST + 1
    span = arrivals[-1] - arrivals[0]
    assert len(arrivals) <= CHAT_BURST + span * CHAT_RATE + 1


async def test_a_strangers_flood_costs_one_reply_one_audit_row_and_never_delays_the_owner(
    running, telegram
) -> None:
    _, _, front_end = running
    for _ in range(200):
        telegram.send_command(STRANGER, "/status")
    owner_update = telegram.send_command(OWNER, "/status")

    await until(lambda: telegram.sent_to(OWNER))
    [answer] = telegram.sent_to(OWNER)
    assert answer.params["text"].startswith("Mode:")
    assert answer.received - telegram.delivered[owner_update] < 1.0

    # Updates are handled in order: the whole flood has passed the gate by now.
    await until(lambda: telegram.sent_to(STRANGER))
    await until(lambda: audit.recent(action_prefix="telegram.refused"))
    assert sent_texts(telegram, STRANGER) == ["This is a private bot."]
    [row] = audit.recent(action_prefix="telegram.refused")
    assert (row.actor, row.details["attempts"]) == (f"telegram:{STRANGER}", 1)

    await front_end.stop()  # the count not yet written is written, not lost
    rows = audit.recent(action_prefix="telegram.refused")
    assert sorted(r.details["attempts"] for r in rows) == [1, 199]
    assert len(telegram.sent_to(STRANGER)) == 1


async def test_a_crowd_of_strangers_does_not_delay_the_owner_and_each_is_audited_once(
    running, telegram
) -> None:
    strangers = range(10_000, 10_200)
    for user in strangers:
        telegram.send_command(user, "/start")
    owner_update = telegram.send_command(OWNER, "/status")

    await until(lambda: telegram.sent_to(OWNER))
    [answer] = telegram.sent_to(OWNER)
    assert answer.received - telegram.delivered[owner_update] < 1.0
    await until(lambda: len(audit.recent(300, action_prefix="telegram.refused")) == 200)
    actors = {row.actor for row in audit.recent(300, action_prefix="telegram.refused")}
    assert actors == {f"telegram:{user}" for user in strangers}


async def test_a_burst_of_fills_becomes_one_summary_while_alerts_and_signals_stand_alone(
    running, telegram
) -> None:
    agent, predictor, _ = running
    for n in range(12):
        agent.services.bus.publish(
            OrderFilled(
                client_order_id=f"c{n}",
                symbol="BBB",
                side=OrderSide.BUY,
                quantity=n + 1,
                price=100.0 + n,
            )
        )
    agent.services.bus.publish(
        Alert(severity="critical", message="broker unreachable", source="broker")
    )
    photo = await signal_message(agent, predictor, telegram)

    await until(lambda: any("fills:" in t for t in sent_texts(telegram, OWNER)))
    shown = sent_texts(telegram, OWNER)
    fills = [t for t in shown if "fills:" in t or t.startswith("Filled")]
    assert len(fills) == 1
    assert fills[0].startswith("12 fills: buy 1 BBB @ $100.00; buy 2 BBB @ $101.00; ")
    assert "⚠️ critical: broker unreachable" in shown  # alone, never summarised
    assert button(photo, "✅ Approve").startswith("a|")  # the signal alone, with buttons


class TestEveryMessageWithASignalsButtons:
    """The announcement in each chat and each `/signals` copy: all lose their buttons."""

    @pytest.fixture
    def allowed_users(self) -> tuple[int, ...]:
        return (OWNER, PARTNER)

    async def _signal_shown_five_times(self, running, telegram):  # type: ignore[no-untyped-def]
        agent, predictor, _ = running
        await signal_message(agent, predictor, telegram)
        [pending] = await agent.engine.pending_signals()
        telegram.send_command(OWNER, "/signals")
        telegram.send_command(OWNER, "/signals")
        telegram.send_command(PARTNER, "/signals")

        def carrying() -> list[tuple[int, int]]:
            return [
                k for k, m in telegram.shown.items() if m.markup and pending.id in str(m.markup)
            ]

        # Decided as soon as all five are shown: remembering them may still be under
        # way, and must not matter.
        await until(lambda: len(carrying()) == 5)
        return pending, carrying()

    async def _all_closed(self, telegram, messages, statement: str) -> None:  # type: ignore[no-untyped-def]
        def closed() -> bool:
            return all(telegram.shown[k].markup is None for k in messages)

        await until(closed, timeout=15)
        for key in messages:
            assert statement in telegram.shown[key].text, telegram.shown[key]

    async def test_when_approved_from_another_chat(self, running, telegram) -> None:
        _, messages = await self._signal_shown_five_times(running, telegram)
        partner_copy = next(k for k in messages if k[0] == PARTNER and not telegram.shown[k].photo)
        approve = next(
            b["callback_data"]
            for row in telegram.shown[partner_copy].markup["inline_keyboard"]
            for b in row
            if b["callback_data"].startswith("a|")
        )
        telegram.press_button(PARTNER, approve, message_id=partner_copy[1])
        await self._all_closed(telegram, messages, f"by telegram:{PARTNER}")

    async def test_when_approved_from_the_web_page(self, running, telegram) -> None:
        agent, _, _ = running
        pending, messages = await self._signal_shown_five_times(running, telegram)
        await agent.engine.approve(pending.id, "web:owner", "web:127.0.0.1")
        await self._all_closed(telegram, messages, "APPROVED by web:owner")

    async def test_when_it_expires(self, running, telegram, clock) -> None:
        agent, _, _ = running
        pending, messages = await self._signal_shown_five_times(running, telegram)
        clock.advance(timedelta(minutes=20))
        with pytest.raises(EngineError):  # too late: the approval finds it expired
            await agent.engine.approve(pending.id, "web:owner", "web:127.0.0.1")
        await self._all_closed(telegram, messages, "EXPIRED")
