"""The outbox against a recording stand-in for the Bot API (no network): what becomes
one message, what stays alone, what goes first, and what a refusal or a 429 does."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, RetryAfter, TimedOut

from bot.outbox import COURTESY_PENDING, TEXT_LIMIT, Outbox, Outgoing, Priority, summary
from bot.pacing import Pace, TokenBucket

BUTTONS = InlineKeyboardMarkup([[InlineKeyboardButton("✅ Approve", callback_data="a|s1|x")]])
OTHER = InlineKeyboardMarkup([[InlineKeyboardButton("$10.00", callback_data="l|s1|10.00|x")]])


class RecordingBot:
    """Answers like the Bot API; `failures` are raised by the next calls, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], float]] = []
        self.failures: list[Exception] = []
        self._ids = 100

    async def _call(self, method: str, **params: Any) -> Any:
        self.calls.append((method, params, time.monotonic()))
        if self.failures:
            raise self.failures.pop(0)
        if method.startswith("edit"):
            return True
        self._ids += 1
        chat = Chat(int(params["chat_id"]), "private")
        return Message(self._ids, None, chat, text=params.get("text"))  # type: ignore[arg-type]

    async def send_message(self, chat_id: int, text: str, **kw: Any) -> Any:
        return await self._call("sendMessage", chat_id=chat_id, text=text, **kw)

    async def send_photo(self, chat_id: int, photo: bytes, **kw: Any) -> Any:
        return await self._call("sendPhoto", chat_id=chat_id, photo=photo, **kw)

    async def edit_message_text(self, text: str, **kw: Any) -> Any:
        return await self._call("editMessageText", text=text, **kw)

    async def edit_message_caption(self, **kw: Any) -> Any:
        return await self._call("editMessageCaption", **kw)

    async def edit_message_reply_markup(self, **kw: Any) -> Any:
        return await self._call("editMessageReplyMarkup", **kw)

    def texts(self) -> list[str]:
        return [p.get("text") or p.get("caption") or "" for _, p, _ in self.calls]


def fast(rate: float = 1000.0, burst: int = 1) -> Callable[[int], Pace]:
    """A pace fast enough for a unit test, keeping the shape (a burst, then a rate)."""
    return lambda chat_id: Pace(TokenBucket(rate, burst))


async def settled(outbox: Outbox, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while outbox.pending() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)  # the last call's after-send step


@pytest.fixture
def bot() -> RecordingBot:
    return RecordingBot()


async def test_replies_waiting_together_become_one_message_within_telegrams_limit(bot) -> None:
    outbox = Outbox(bot, pace=fast(rate=10.0))
    outbox.send(1, "first")
    await asyncio.sleep(0.05)  # sent alone, with the only token; the rest then waits
    for n in range(300):
        outbox.send(1, f"answer {n:03d} " + "x" * 40)
    await settled(outbox)
    texts = bot.texts()
    assert texts[0] == "first"
    assert all(len(t) <= TEXT_LIMIT for t in texts)
    answers = [a for t in texts[1:] for a in t.split("\n\n")]
    assert [a[:10] for a in answers] == [f"answer {n:03d}" for n in range(300)]
    assert len(texts) < 10


async def test_messages_with_buttons_or_photos_are_never_merged(bot) -> None:
    outbox = Outbox(bot, pace=fast(rate=5.0))
    outbox.send(1, "a")
    outbox.send(1, "signal", markup=BUTTONS)
    outbox.send(1, "b")
    outbox.send(1, "chart", photo=b"png")
    outbox.send(1, "c")
    outbox.send(1, "d")
    await settled(outbox)
    assert bot.texts() == ["a", "signal", "b", "chart", "c\n\nd"]


async def test_signals_and_critical_news_go_before_replies_and_notices(bot) -> None:
    outbox = Outbox(bot, pace=fast(rate=20.0))
    outbox.send(1, "occupies the token")
    await asyncio.sleep(0.01)
    outbox.notice(1, "Filled: buy 1 AAA @ 1.00", topic="fills", line="buy 1 AAA @ 1.00")
    outbox.send(1, "a reply")
    outbox.send(1, "stop hit", priority=Priority.URGENT)
    await settled(outbox)
    assert bot.texts() == ["occupies the token", "stop hit", "a reply", "Filled: buy 1 AAA @ 1.00"]


async def test_notices_waiting_together_become_one_summary(bot) -> None:
    outbox = Outbox(bot, pace=fast())
    for n in range(12):
        outbox.notice(1, f"Filled: buy {n} AAA", topic="fills", line=f"buy {n} AAA")
    outbox.notice(1, "Mode is now auto (by x)", topic="mode changes", line="auto by x")
    await settled(outbox)
    [text] = bot.texts()
    assert text == (
        "12 fills: " + "; ".join(f"buy {n} AAA" for n in range(12)) + "\n1 mode changes: auto by x"
    )


def test_one_notice_is_its_own_text_and_a_huge_summary_is_cut_to_the_limit() -> None:
    one = Outgoing(1, Priority.NOTICE, "Filled: buy 1 AAA", topic="fills", line="buy 1 AAA")
    assert summary([one]) == "Filled: buy 1 AAA"
    many = [Outgoing(1, Priority.NOTICE, "t", topic="fills", line="x" * 100)] * 100
    assert len(summary(many)) == TEXT_LIMIT


async def test_a_newer_edit_of_the_same_message_replaces_the_waiting_one(bot) -> None:
    outbox = Outbox(bot, pace=fast(rate=5.0))
    outbox.send(1, "occupies the token")
    await asyncio.sleep(0.01)
    outbox.edit(1, 77, "APPROVED by web:owner", caption=True)
    outbox.edit(1, 77, "FILLED by web:owner", caption=True)
    await settled(outbox)
    edits = [(m, p["caption"]) for m, p, _ in bot.calls if m.startswith("edit")]
    assert edits == [("editMessageCaption", "FILLED by web:owner")]
    assert bot.calls[1][1]["reply_markup"] is None  # the buttons go


async def test_an_edit_may_keep_or_swap_the_buttons_and_a_later_one_wins(bot) -> None:
    outbox = Outbox(bot, pace=fast(rate=5.0))
    outbox.send(1, "occupies the token")
    await asyncio.sleep(0.01)
    outbox.edit(1, 77, "⏳ 60 s left", caption=True, markup=BUTTONS)  # the deadline moved
    outbox.edit(1, 77, None, caption=True, markup=OTHER)  # then Limit… swapped the buttons
    outbox.edit(1, 78, None, caption=False, markup=OTHER)
    await settled(outbox)
    edits = [(m, p.get("caption"), p["reply_markup"]) for m, p, _ in bot.calls[1:]]
    assert edits == [
        ("editMessageCaption", "⏳ 60 s left", OTHER),  # the waiting text kept, new buttons
        ("editMessageReplyMarkup", None, OTHER),
    ]


async def test_silent_messages_and_summaries_and_replies(bot) -> None:
    outbox = Outbox(bot, pace=fast())
    outbox.send(1, "quiet", silent=True, reply_to=5)
    outbox.send(1, "loud")
    await settled(outbox)
    (_, quiet, _), (_, loud, _) = bot.calls
    assert quiet["disable_notification"] is True
    assert quiet["reply_parameters"].message_id == 5
    assert loud["disable_notification"] is False
    assert loud["reply_parameters"] is None

    bot.calls.clear()
    for n in range(3):
        outbox.notice(1, f"Filled {n}", topic="fills", line=str(n), silent=True)
    await settled(outbox)
    assert [p["disable_notification"] for _, p, _ in bot.calls] == [True]
    bot.calls.clear()
    outbox.notice(1, "Filled 9", topic="fills", line="9", silent=True)
    outbox.notice(1, "Mode is now auto", topic="mode changes", line="auto")
    await settled(outbox)
    assert [p["disable_notification"] for _, p, _ in bot.calls] == [False], "one rings: all do"


async def test_an_edit_that_guessed_wrong_between_caption_and_text_tries_the_other(bot) -> None:
    outbox = Outbox(bot, pace=fast())
    bot.failures = [BadRequest("Bad Request: there is no caption in the message to edit")]
    outbox.edit(1, 77, "EXPIRED", caption=True)
    await settled(outbox)
    assert [m for m, _, _ in bot.calls] == ["editMessageCaption", "editMessageText"]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_a_429_pauses_the_chat_for_the_time_asked_then_sends(bot) -> None:
    outbox = Outbox(bot, pace=fast())
    bot.failures = [RetryAfter(timedelta(seconds=0.3))]
    outbox.send(1, "hello")
    await settled(outbox)
    (_, _, first), (_, _, second) = bot.calls
    assert bot.texts() == ["hello", "hello"]
    assert second - first >= 0.29


async def test_a_timeout_is_not_resent_and_a_refusal_does_not_stop_the_chat(bot) -> None:
    outbox = Outbox(bot, pace=fast())
    bot.failures = [TimedOut(), BadRequest("Bad Request: chat not found")]
    outbox.send(1, "may have arrived", markup=BUTTONS)
    outbox.send(1, "refused", markup=BUTTONS)
    outbox.send(1, "next")
    await settled(outbox)
    assert bot.texts() == ["may have arrived", "refused", "next"]


async def test_a_message_no_longer_wanted_is_not_sent_and_a_sent_one_is_reported(bot) -> None:
    outbox = Outbox(bot, pace=fast())
    sent: list[int] = []

    async def record(message: Message) -> None:
        sent.append(message.message_id)

    async def decided() -> bool:
        return False

    outbox.send(1, "decided meanwhile", markup=BUTTONS, still_wanted=decided, on_sent=record)
    outbox.send(1, "still pending", markup=BUTTONS, on_sent=record)
    await settled(outbox)
    assert bot.texts() == ["still pending"]
    assert sent == [101]


async def test_one_chat_waiting_for_its_pace_does_not_hold_up_another(bot) -> None:
    outbox = Outbox(bot, pace=fast(rate=1.0))
    outbox.send(1, "one")
    outbox.send(1, "[markup] two", markup=BUTTONS)  # must wait a second for chat 1's token
    outbox.send(2, "other chat")
    await asyncio.sleep(0.3)
    assert bot.texts() == ["one", "other chat"]
    await outbox.close(grace=2.0)
    assert bot.texts() == ["one", "other chat", "[markup] two"]


async def test_stranger_replies_waiting_are_capped(bot) -> None:
    outbox = Outbox(bot, pace=fast())
    for chat in range(1, COURTESY_PENDING + 6):
        outbox.courtesy(chat, "This is a private bot.")
    assert outbox.dropped == 5
    await settled(outbox)
    assert len(bot.calls) == COURTESY_PENDING


async def test_a_stranger_reply_waits_while_more_than_half_the_global_budget_is_used(bot) -> None:
    outbox = Outbox(bot, pace=fast())
    for chat in range(1, 21):  # 20 of the 25 a second, to 20 allowed chats
        outbox.send(chat, "owner news")
    outbox.courtesy(666, "This is a private bot.")
    outbox.send(21, "more owner news")
    await settled(outbox, seconds=3.0)
    stamps = {p["text"]: at for _, p, at in bot.calls}
    first = min(at for _, _, at in bot.calls)
    assert stamps["more owner news"] - first < 0.5
    assert stamps["This is a private bot."] - first >= 0.9  # until ≤ 12 in the last second


async def test_close_sends_what_it_can_and_takes_nothing_new(bot) -> None:
    outbox = Outbox(bot, pace=fast(rate=1.0))
    outbox.send(1, "sent", markup=BUTTONS)
    outbox.send(1, "too late", markup=BUTTONS)
    await outbox.close(grace=0.2)
    outbox.send(1, "after close")
    await asyncio.sleep(0.05)
    assert bot.texts() == ["sent"]
    assert outbox.dropped == 2
