"""Who may use the bot: allow-listed user ids, in private chats (or allowed chats)."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update


@dataclass(frozen=True)
class Gate:
    allowed_users: frozenset[int]
    allowed_chats: frozenset[int] = frozenset()

    def refusal(self, update: Update) -> str | None:
        """Why this update is refused, or None when it may act."""
        user = update.effective_user
        chat = update.effective_chat
        if user is None or chat is None:
            return "no user or chat"
        if user.id not in self.allowed_users:
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
