"""What every handler needs, kept in `application.bot_data` (state outside handlers)."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from telegram.ext import ContextTypes

from bot.auth import Gate
from bot.callbacks import CallbackSigner
from bot.countdowns import Countdowns
from bot.outbox import Outbox
from bot.strangers import Row, StrangerLimiter
from core.agent.engine import Engine, Timing
from core.base import explain
from core.base.types import TradingSignal

KILL_CONFIRM_SECONDS = 30
CLOSING_NOTES_KEPT = 256
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MessageRef:
    """A message the bot sent: where it is, and whether it is a photo (its caption is
    what an edit changes)."""

    chat_id: int
    message_id: int
    photo: bool


@dataclass(frozen=True)
class LimitQuestion:
    """A "type your limit price" question waiting for the owner's reply."""

    signal_id: str
    timing: Timing
    signal_message: MessageRef | None
    """The signal's message, edited with the outcome once the price is approved."""


def _bounded_put(store: dict[Any, Any], key: Any, value: Any, limit: int) -> None:
    store.pop(key, None)
    store[key] = value
    while len(store) > limit:
        del store[next(iter(store))]


@dataclass
class BotContext:
    engine: Engine
    gate: Gate
    signer: CallbackSigner
    outbox: Outbox
    zone: ZoneInfo = field(default_factory=explain.zone)
    """The owner's time zone (`Engine.timezone`): every time in a message is in it."""
    strangers: StrangerLimiter = field(default_factory=StrangerLimiter)
    tapped: dict[str, tuple[int, int]] = field(default_factory=dict)
    """signal id → (chat, message) whose button press is being decided: that handler
    edits the message with the decision's outcome, so the notifier leaves it alone."""
    closing_notes: dict[str, str] = field(default_factory=dict)
    """signal id → how it was closed ("APPROVED by web:owner"), for a message sent just
    as it was decided (recent ones only)."""
    photo_messages: dict[tuple[int, int], bool] = field(default_factory=dict)
    """(chat, message) of signal messages sent since the start → is it a photo, so its
    edit is a caption or a text edit at the first try."""
    outcomes: dict[str, str] = field(default_factory=dict)
    """signal id → its status once decided ("filled", "rejected", "expired"): a second
    tap is answered from here, without asking the Engine (recent ones only)."""
    shown_signals: dict[str, TradingSignal] = field(default_factory=dict)
    """Signals whose messages were sent recently: a decision's edit is written from here
    without another trip to the database (recent ones only)."""
    questions: dict[tuple[int, int], LimitQuestion] = field(default_factory=dict)
    """(chat, message) of a limit-price question → what the typed answer approves."""
    countdowns: Countdowns | None = None
    """Set by the notifier: the time left of each waiting signal, and its reminder."""
    _background: set[asyncio.Task[Any]] = field(default_factory=set)
    _refusals: deque[Row] = field(default_factory=deque)
    _refusal_writer: asyncio.Task[None] | None = None

    def note_closing(self, signal_id: str, note: str) -> None:
        _bounded_put(self.closing_notes, signal_id, note, CLOSING_NOTES_KEPT)

    def note_outcome(self, signal_id: str, status: str) -> None:
        _bounded_put(self.outcomes, signal_id, status, CLOSING_NOTES_KEPT)

    def remember_signal(self, signal: TradingSignal) -> None:
        _bounded_put(self.shown_signals, signal.id, signal, CLOSING_NOTES_KEPT)

    def ask_limit(self, message: MessageRef, question: LimitQuestion) -> None:
        key = (message.chat_id, message.message_id)
        _bounded_put(self.questions, key, question, CLOSING_NOTES_KEPT)

    @property
    def chats(self) -> list[int]:
        """Private chats of allowed users (a user's private chat id is the user id)."""
        return sorted(self.gate.allowed_users)

    def in_background(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run `work` without making the update wait for it (e.g. an audit write)."""
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("telegram background work failed", exc_info=task.exception())

    def audit_refusals(self, rows: list[Row]) -> None:
        """Write refused attempts to the audit log one row at a time, in the background:
        a crowd of strangers takes one worker thread, not all of them."""
        self._refusals.extend(rows)
        if self._refusals and (self._refusal_writer is None or self._refusal_writer.done()):
            self._refusal_writer = asyncio.create_task(self._write_refusals())

    async def _write_refusals(self) -> None:
        while self._refusals:
            row = self._refusals.popleft()
            details = {"why": row.why, **row.detail, "attempts": row.attempts}
            try:
                await self.engine.audit(row.actor, "telegram.refused", details, row.origin)
            except Exception:
                log.exception("could not audit a refused telegram attempt")

    async def settle(self, seconds: float = 5.0) -> None:
        """Wait for background work and refusal rows (at stop), at most `seconds`."""
        waiting = set(self._background)
        if self._refusal_writer is not None:
            waiting.add(self._refusal_writer)
        if waiting:
            await asyncio.wait(waiting, timeout=seconds)


def bot_context(context: ContextTypes.DEFAULT_TYPE) -> BotContext:
    return context.application.bot_data["stockbot"]
