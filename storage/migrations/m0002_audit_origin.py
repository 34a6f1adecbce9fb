"""Audit events record where a request came from (a chat id, a client address), so the
audit page can answer "who did what, when, from where"."""

from __future__ import annotations

from peewee import CharField, SqliteDatabase
from playhouse.migrate import SqliteMigrator, migrate

VERSION = 2
DESCRIPTION = "audit_events.origin"


def apply(db: SqliteDatabase) -> None:
    migrator = SqliteMigrator(db)
    migrate(migrator.add_column("audit_events", "origin", CharField(null=True)))
