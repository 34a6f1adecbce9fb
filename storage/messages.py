"""Which chat messages show which signal, so decisions and expiries can edit them all:
the announcement in each chat and every copy `/signals` sent."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.models import TelegramMessage


def remember(signal_id: str, chat_id: int, message_id: int, at: datetime | None = None) -> None:
    TelegramMessage.insert(
        signal=signal_id,
        chat_id=chat_id,
        message_id=message_id,
        created_at=at or datetime.now(UTC),
    ).on_conflict_ignore().execute()


def for_signal(signal_id: str) -> list[tuple[int, int]]:
    """(chat id, message id) pairs showing the signal, oldest first."""
    rows = (
        TelegramMessage.select()
        .where(TelegramMessage.signal == signal_id)
        .order_by(TelegramMessage.id)
    )
    return [(row.chat_id, row.message_id) for row in rows]
