"""Who may use the bot: allow-listed user ids (the owner) and viewers, in private chats
(or allowed chats). Viewers (TELEGRAM_VIEWERS) pass this gate for the same commands as
the owner; every change they ask for goes to the Engine, which refuses and audits it —
so the rule "viewers look, never change" lives in one place."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update


@dataclass(frozen=True)
class Gate:
    allowed_users: frozenset[int]
    allowed_chats: frozenset[int] = frozenset()
    viewers: frozenset[int] = frozenset()
    """May read everything; their decisions and controls are refused by the Engine."""

    def refusal(self, update: Update) -> str | None:
        """Why this update is refused, or None when it may go on."""
        user = update.effective_user
        chat = update.effective_chat
        if user is None or chat is None:
            return "no user or chat"
        if user.id not in self.allowed_users and user.id not in self.viewers:
            return f"user {user.id} is not allowed"
        if chat.type != "private" and chat.id not in self.allowed_chats:
            return f"chat {chat.id} ({chat.type}) is not allowed"
        return None


def actor_of(update: Update) -> str:
    user = update.effective_user
    return f"telegram:{user.id}" if user else "telegram:unknown"


def origin_of(update: Update) -> str:
    chat = update.effective_chat
    return f"chat:{chat.id}" if chat else "chat:unknown"
