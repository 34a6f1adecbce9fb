"""What every handler needs, kept in `application.bot_data` (state outside handlers)."""

from __future__ import annotations

from dataclasses import dataclass

from telegram.ext import ContextTypes

from bot.auth import Gate
from bot.callbacks import CallbackSigner
from core.agent.engine import Engine

KILL_CONFIRM_SECONDS = 30


@dataclass
class BotContext:
    engine: Engine
    gate: Gate
    signer: CallbackSigner

    @property
    def chats(self) -> list[int]:
        """Private chats of allowed users (a user's private chat id is the user id)."""
        return sorted(self.gate.allowed_users)


def bot_context(context: ContextTypes.DEFAULT_TYPE) -> BotContext:
    return context.application.bot_data["stockbot"]
