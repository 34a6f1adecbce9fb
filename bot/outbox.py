"""Every message the bot sends or edits goes through here, paced to Telegram's limits.

Handlers and the notifier put messages in and return at once; one drain task per chat
sends them when `bot.pacing` allows (1 a second per chat after a burst of 3, 20 a minute
in a group, 25 a second overall), so a slow or backed-up chat never holds up a handler,
a button press or another chat. Inside a chat the order is by priority, then arrival:

- URGENT — signal messages with buttons, edits (decisions, expiries, the tapped
  message, a keyboard swapped for another) and critical alerts: sent one by one, never
  merged or summarised.
- REPLY — answers to commands: plain texts waiting together go out as one message
  (up to Telegram's 4096 characters), so every command is answered within the limit.
- NOTICE — other notifications: each waits a moment for company; two or more waiting
  go out as one summary ("12 fills: …"), silent only when every one of them is.
- COURTESY — the one refusal a stranger gets an hour: only while at least half of the
  global budget is free, and dropped (not queued) beyond a few pending.

A message marked `silent` arrives without a sound (`disable_notification`): the owner
chose it for its kind (`/notify`). A 429 pauses that chat for the time Telegram asks; a
timeout is not resent (the message may have arrived; a duplicate is worse); a connection
error is retried twice; a refusal (`BadRequest`, `Forbidden`) is logged and dropped,
and "message is not modified" is not an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import IntEnum
from typing import Any

from telegram import (
    ForceReply,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.pacing import Pace, SlidingWindow, chat_pace, global_window

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
NOTICE_LINGER = 0.5
"""Seconds a notification waits for others to be summarised with."""
COURTESY_PENDING = 10
"""Stranger replies waiting at most, over all chats; more are dropped."""
IDLE_CHATS = 256
"""Idle chats whose pacing state is kept; beyond this, chats quiet for a minute are
forgotten (their budget is full again by then, so forgetting changes nothing)."""
MERGE_SEPARATOR = "\n\n"
NETWORK_ATTEMPTS = 3


class Priority(IntEnum):
    URGENT = 0
    REPLY = 1
    NOTICE = 2
    COURTESY = 3


OnSent = Callable[[Message], Awaitable[None]]
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply
"""Buttons under a message, the /menu keyboard (shown or removed) with a reply, or a
question the phone opens the keyboard to answer (a typed limit price)."""
StillWanted = Callable[[], Awaitable[bool]]


@dataclass
class Outgoing:
    chat_id: int
    priority: Priority
    text: str
    markup: Markup | None = None
    photo: bytes | None = None
    edit_of: int | None = None
    """Message id to edit (its text or caption, and its buttons) instead of sending."""
    caption: bool = False
    """For an edit: the message is a photo, so its caption is edited."""
    keep_text: bool = False
    """For an edit: only the buttons change (`markup`; None removes them)."""
    silent: bool = False
    """Arrives without a sound (Telegram's `disable_notification`)."""
    reply_to: int | None = None
    """Message id this one answers (shown above it, a tap away)."""
    topic: str = ""
    """For a notice: what a summary counts ("fills")."""
    line: str = ""
    """For a notice: its one-line form inside a summary."""
    on_sent: OnSent | None = None
    still_wanted: StillWanted | None = None
    """Asked just before sending; False drops the message (e.g. a decided signal)."""
    queued_at: float = 0.0
    attempts: int = 0

    @property
    def mergeable(self) -> bool:
        return (
            self.priority is Priority.REPLY
            and self.markup is None
            and self.photo is None
            and self.edit_of is None
            and self.on_sent is None
            and self.still_wanted is None
            and self.reply_to is None
            and not self.silent
        )


@dataclass
class _Chat:
    pace: Pace
    queues: dict[Priority, deque[Outgoing]] = field(
        default_factory=lambda: {p: deque() for p in Priority}
    )
    task: asyncio.Task[None] | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    last_used: float = 0.0

    def head(self) -> Outgoing | None:
        for priority in Priority:
            if self.queues[priority]:
                return self.queues[priority][0]
        return None

    def pending(self) -> int:
        return sum(len(q) for q in self.queues.values())


def summary(notices: list[Outgoing]) -> str:
    """One message for several notifications: a line per topic, in order of arrival."""
    if len(notices) == 1:
        return notices[0].text
    topics: dict[str, list[str]] = {}
    for notice in notices:
        topics.setdefault(notice.topic, []).append(notice.line or notice.text)
    lines = [f"{len(items)} {topic}: " + "; ".join(items) for topic, items in topics.items()]
    return _fit("\n".join(lines), TEXT_LIMIT)


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB warns while int periods are being phased out
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Outbox:
    def __init__(
        self,
        bot: Any,
        *,
        clock: Callable[[], float] = time.monotonic,
        pace: Callable[[int], Pace] = chat_pace,
        overall: SlidingWindow | None = None,
    ) -> None:
        self.bot = bot
        self._clock = clock
        self._pace = pace
        self._overall = overall or global_window()
        self._chats: dict[int, _Chat] = {}
        self._closed = False
        self.sent = 0
        """Messages sent or edited, for figures."""
        self.dropped = 0

    # -- putting messages in -------------------------------------------------------------

    def send(
        self,
        chat_id: int,
        text: str,
        *,
        priority: Priority = Priority.REPLY,
        markup: Markup | None = None,
        photo: bytes | None = None,
        on_sent: OnSent | None = None,
        still_wanted: StillWanted | None = None,
        silent: bool = False,
        reply_to: int | None = None,
    ) -> None:
        limit = CAPTION_LIMIT if photo is not None else TEXT_LIMIT
        self._put(
            Outgoing(
                chat_id,
                priority,
                _fit(text, limit),
                markup=markup,
                photo=photo,
                on_sent=on_sent,
                still_wanted=still_wanted,
                silent=silent,
                reply_to=reply_to,
            )
        )

    def notice(
        self, chat_id: int, text: str, *, topic: str, line: str, silent: bool = False
    ) -> None:
        self._put(
            Outgoing(
                chat_id,
                Priority.NOTICE,
                _fit(text, TEXT_LIMIT),
                topic=topic,
                line=line,
                silent=silent,
            )
        )

    def courtesy(self, chat_id: int, text: str) -> None:
        waiting = sum(len(c.queues[Priority.COURTESY]) for c in self._chats.values())
        if waiting >= COURTESY_PENDING:
            self.dropped += 1
            return
        self._put(Outgoing(chat_id, Priority.COURTESY, text))

    def edit(
        self,
        chat_id: int,
        message_id: int,
        text: str | None,
        *,
        caption: bool,
        markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        """Replace a message's text (or a photo's caption) and its buttons: `markup`, or
        none. `text=None` changes the buttons only. A newer edit of the same message
        replaces one still waiting (keeping the waiting text when it changes only the
        buttons), so the chat ends up showing the latest state whatever the order."""
        fitted = _fit(text, CAPTION_LIMIT if caption else TEXT_LIMIT) if text is not None else ""
        chat = self._chats.get(chat_id)
        if chat is not None:
            for waiting in chat.queues[Priority.URGENT]:
                if waiting.edit_of == message_id:
                    if text is not None:
                        waiting.text, waiting.caption, waiting.keep_text = fitted, caption, False
                    waiting.markup = markup
                    return
        self._put(
            Outgoing(
                chat_id,
                Priority.URGENT,
                fitted,
                markup=markup,
                edit_of=message_id,
                caption=caption,
                keep_text=text is None,
            )
        )

    def _put(self, item: Outgoing) -> None:
        if self._closed:
            self.dropped += 1
            return
        item.queued_at = self._clock()
        chat = self._chats.get(item.chat_id)
        if chat is None:
            self._forget_idle_chats(item.queued_at)
            chat = self._chats[item.chat_id] = _Chat(self._pace(item.chat_id))
        chat.last_used = item.queued_at
        chat.queues[item.priority].append(item)
        chat.arrived.set()
        if chat.task is None or chat.task.done():
            chat.task = asyncio.create_task(
                self._drain(item.chat_id, chat), name=f"telegram-outbox-{item.chat_id}"
            )

    def _forget_idle_chats(self, now: float) -> None:
        if len(self._chats) < IDLE_CHATS:
            return
        for chat_id, chat in list(self._chats.items()):
            if chat.pending() == 0 and now - chat.last_used > 60.0:
                del self._chats[chat_id]

    # -- draining ------------------------------------------------------------------------

    def pending(self) -> int:
        return sum(chat.pending() for chat in self._chats.values())

    async def _drain(self, chat_id: int, chat: _Chat) -> None:
        while (head := chat.head()) is not None:
            now = self._clock()
            wait = chat.pace.delay(now)
            if head.priority is Priority.NOTICE:
                wait = max(wait, head.queued_at + NOTICE_LINGER - now)
            reserve = self._overall.limit // 2 if head.priority is Priority.COURTESY else None
            wait = max(wait, self._overall.delay(now, reserve))
            if wait > 0:
                chat.arrived.clear()
                # A more urgent message arriving ends a notice's wait for company.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(chat.arrived.wait(), wait)
                continue
            batch = self._take(chat)
            chat.pace.take(now)
            chat.last_used = now
            self._overall.take(now)
            await self._deliver(chat, batch)

    def _take(self, chat: _Chat) -> list[Outgoing]:
        """The next message's worth of items: one, or merged replies, or all notices."""
        for priority in Priority:
            queue = chat.queues[priority]
            if not queue:
                continue
            first = queue.popleft()
            batch = [first]
            if priority is Priority.NOTICE:
                batch.extend(queue)
                queue.clear()
            elif first.mergeable:
                size = len(first.text)
                while queue and queue[0].mergeable:
                    size += len(MERGE_SEPARATOR) + len(queue[0].text)
                    if size > TEXT_LIMIT:
                        break
                    batch.append(queue.popleft())
            return batch
        return []

    async def _deliver(self, chat: _Chat, batch: list[Outgoing]) -> None:
        first = batch[0]
        if first.still_wanted is not None:
            try:
                wanted = await first.still_wanted()
            except Exception:
                log.exception("telegram: could not check a message before sending")
                wanted = True
            if not wanted:
                self.dropped += 1
                return
        try:
            message = await self._call(first, batch)
        except RetryAfter as error:
            chat.pace.paused_until = self._clock() + _seconds(error)
            log.warning("telegram asked to slow down", extra={"chat": first.chat_id})
            self._requeue(chat, batch)
            return
        except TimedOut:
            log.warning(
                "telegram send timed out; not resent (it may have arrived)",
                extra={"chat": first.chat_id},
            )
            return
        except (BadRequest, Forbidden) as error:
            lowered = str(error).lower()
            if (
                first.edit_of is not None
                and first.attempts == 0
                and ("no caption" in lowered or "no text" in lowered)
            ):
                # A signal message is a photo, or text when its chart could not be drawn.
                first.caption = not first.caption
                first.attempts += 1
                self._requeue(chat, batch)
            elif "not modified" not in lowered:
                log.warning("telegram refused a message", extra={"why": str(error)})
            return
        except NetworkError as error:
            first.attempts += 1
            if first.attempts < NETWORK_ATTEMPTS:
                chat.pace.paused_until = self._clock() + 2 ** (first.attempts - 1)
                self._requeue(chat, batch)
            else:
                log.warning("telegram unreachable; message dropped", extra={"why": str(error)})
            return
        self.sent += 1
        if first.on_sent is not None and isinstance(message, Message):
            try:
                await first.on_sent(message)
            except Exception:
                log.exception("telegram: after-send step failed")

    def _requeue(self, chat: _Chat, batch: list[Outgoing]) -> None:
        queue = chat.queues[batch[0].priority]
        queue.extendleft(reversed(batch))

    async def _call(self, first: Outgoing, batch: list[Outgoing]) -> Any:
        bot, chat_id = self.bot, first.chat_id
        if first.edit_of is not None:
            buttons = first.markup if isinstance(first.markup, InlineKeyboardMarkup) else None
            if first.keep_text:
                return await bot.edit_message_reply_markup(
                    chat_id=chat_id, message_id=first.edit_of, reply_markup=buttons
                )
            if first.caption:
                return await bot.edit_message_caption(
                    chat_id=chat_id,
                    message_id=first.edit_of,
                    caption=first.text,
                    reply_markup=buttons,
                )
            return await bot.edit_message_text(
                first.text, chat_id=chat_id, message_id=first.edit_of, reply_markup=buttons
            )
        # A summary rings when any notice in it would have.
        silent = all(item.silent for item in batch)
        reply = (
            ReplyParameters(first.reply_to, allow_sending_without_reply=True)
            if first.reply_to is not None
            else None
        )
        if first.photo is not None:
            return await bot.send_photo(
                chat_id,
                first.photo,
                caption=first.text,
                reply_markup=first.markup,
                disable_notification=silent,
                reply_parameters=reply,
            )
        if first.priority is Priority.NOTICE:
            text = summary(batch)
        else:
            text = MERGE_SEPARATOR.join(item.text for item in batch)
        return await bot.send_message(
            chat_id,
            text,
            reply_markup=first.markup,
            disable_notification=silent,
            reply_parameters=reply,
        )

    # -- stopping ------------------------------------------------------------------------

    async def close(self, grace: float = 3.0) -> None:
        """Take nothing new; send what is waiting for up to `grace` s, drop the rest."""
        self._closed = True
        tasks = [c.task for c in self._chats.values() if c.task is not None and not c.task.done()]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace)
            for task in late:
                task.cancel()
            for task in late:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self.dropped += self.pending()
        self._chats.clear()
