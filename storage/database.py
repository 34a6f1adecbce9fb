"""Opening, migrating and closing the one SQLite database (DESIGN §8)."""

from __future__ import annotations

from pathlib import Path

from peewee import DatabaseProxy, SqliteDatabase

from storage.errors import StorageError
from storage.migrations import migrate

__all__ = ["StorageError", "close_database", "connect", "database_proxy", "open_database"]

# Every model binds to this proxy; `open_database` points it at a real file.
database_proxy = DatabaseProxy()

PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "normal",
    "busy_timeout": 5000,
    "foreign_keys": 1,
}


def connect(path: Path) -> SqliteDatabase:
    """A peewee database for `path` with the project's pragmas; creates the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # timeout mirrors busy_timeout for the Python driver's own lock wait.
    return SqliteDatabase(str(path), pragmas=PRAGMAS, timeout=5)


def open_database(path: Path, *, migrate_schema: bool = True) -> SqliteDatabase:
    """Open `path`, bind the models to it and bring the schema up to date."""
    db = connect(path)
    try:
        db.connect(reuse_if_open=True)
    except Exception as error:
        raise StorageError(f"cannot open database {path}: {error}") from error
    database_proxy.initialize(db)
    if migrate_schema:
        migrate(db)
    return db


def close_database() -> None:
    db = database_proxy.obj
    if db is not None and not db.is_closed():
        db.close()
