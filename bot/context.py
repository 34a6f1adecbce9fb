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
from bot.outbox import Outbox
from bot.strangers import Row, StrangerLimiter
from core.agent.engine import Engine
from core.base import explain

KILL_CONFIRM_SECONDS = 30
CLOSING_NOTES_KEPT = 256
log = logging.getLogger(__name__)


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
    _background: set[asyncio.Task[Any]] = field(default_factory=set)
    _refusals: deque[Row] = field(default_factory=deque)
    _refusal_writer: asyncio.Task[None] | None = None

    def note_closing(self, signal_id: str, note: str) -> None:
        self.closing_notes[signal_id] = note
        while len(self.closing_notes) > CLOSING_NOTES_KEPT:
            del self.closing_notes[next(iter(self.closing_notes))]

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
