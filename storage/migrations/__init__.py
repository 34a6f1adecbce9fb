"""Numbered schema migrations, applied in order, each in its own transaction.

A migration is a module `mNNNN_<what>.py` with `VERSION`, `DESCRIPTION` and
`apply(db)`. Migrations never import `storage.models`: the models describe the newest
schema, a migration describes one step from an older one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from peewee import SqliteDatabase

from storage.errors import StorageError
from storage.fields import to_utc_text
from storage.migrations import (
    m0001_initial,
    m0002_audit_origin,
    m0003_bar_coverage,
    m0004_paper_broker,
    m0005_backtest_runs,
    m0006_signal_message_copies,
    m0007_order_paths,
    m0008_order_choices,
    m0009_retire_confidence_thresholds,
)


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[SqliteDatabase], None]


MIGRATIONS: tuple[Migration, ...] = tuple(
    Migration(module.VERSION, module.DESCRIPTION, module.apply)
    for module in (
        m0001_initial,
        m0002_audit_origin,
        m0003_bar_coverage,
        m0004_paper_broker,
        m0005_backtest_runs,
        m0006_signal_message_copies,
        m0007_order_paths,
        m0008_order_choices,
        m0009_retire_confidence_thresholds,
    )
)
LATEST_VERSION = MIGRATIONS[-1].version

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at TEXT NOT NULL
)
"""


def current_version(db: SqliteDatabase) -> int:
    if "schema_version" not in db.get_tables():
        return 0
    row = db.execute_sql("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(db: SqliteDatabase, target: int = LATEST_VERSION) -> list[int]:
    """Apply every migration above the database's version up to `target`.

    Returns the versions applied. A database newer than this code is refused: an old
    stockbot writing to a newer schema could lose data.
    """
    found = current_version(db)
    if found > LATEST_VERSION:
        raise StorageError(
            f"database schema version {found} is newer than this stockbot supports "
            f"({LATEST_VERSION}); upgrade stockbot or restore a backup"
        )
    applied = []
    for migration in MIGRATIONS:
        if found < migration.version <= target:
            # IMMEDIATE: two processes starting at once must not both migrate.
            with db.atomic(lock_type="IMMEDIATE"):
                if current_version(db) >= migration.version:
                    continue
                db.execute_sql(_VERSION_TABLE)
                migration.apply(db)
                db.execute_sql(
                    "INSERT INTO schema_version (version, description, applied_at) "
                    "VALUES (?, ?, ?)",
                    (migration.version, migration.description, to_utc_text(datetime.now(UTC))),
                )
            applied.append(migration.version)
    return applied
