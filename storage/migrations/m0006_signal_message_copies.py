"""A signal can be shown by several messages in one chat: the announcement and every
copy `/signals` sends. All of them carry its buttons, so all are remembered (and edited
when the signal is decided or expires): the unique index on (signal, chat) becomes one
on (signal, chat, message)."""

from __future__ import annotations

from peewee import SqliteDatabase

VERSION = 6
DESCRIPTION = "telegram_messages: every message of a signal, not one per chat"


def apply(db: SqliteDatabase) -> None:
    db.execute_sql("DROP INDEX telegram_messages_signal_chat")
    db.execute_sql(
        "CREATE UNIQUE INDEX telegram_messages_signal_chat_message "
        "ON telegram_messages (signal_id, chat_id, message_id)"
    )
