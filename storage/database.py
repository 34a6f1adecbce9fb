"""Opening, migrating and closing the one SQLite database (DESIGN §8).

Opening checks the file first (`storage.integrity`, read-only): a damaged database is
refused before anything writes to it. Every way the file or its folder can be unusable
(missing folder that cannot be made, read-only, not a database) becomes a
`StorageError` whose one-line message names the file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, cast

from peewee import DatabaseProxy, ModelSelect, PeeweeException, SqliteDatabase

from storage.errors import StorageError
from storage.integrity import require_sound
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
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StorageError(
            f"cannot create the database folder {path.parent}: {error.strerror or error}"
        ) from error
    # timeout mirrors busy_timeout for the Python driver's own lock wait.
    return SqliteDatabase(str(path), pragmas=PRAGMAS, timeout=5)


def open_database(
    path: Path, *, migrate_schema: bool = True, check_integrity: bool = True
) -> SqliteDatabase:
    """Check `path` (read-only), open it, bind the models to it and bring the schema up
    to date."""
    if check_integrity:
        require_sound(path)
    db = connect(path)
    try:
        db.connect(reuse_if_open=True)
    except (PeeweeException, sqlite3.Error, OSError) as error:
        raise StorageError(f"cannot open database {path}: {error}") from error
    database_proxy.initialize(db)
    if migrate_schema:
        try:
            migrate(db)
        except (PeeweeException, sqlite3.Error) as error:
            db.close()
            raise StorageError(
                f"cannot bring database {path} up to date: {error}; is the file (and its "
                "folder) writable by this user?"
            ) from error
    return db


def close_database() -> None:
    db = database_proxy.obj
    if db is not None and not db.is_closed():
        db.close()


def rows_as_tuples(query: ModelSelect[Any]) -> list[tuple[Any, ...]]:
    """The query's rows as plain tuples of its selected columns (converted by their
    fields): a peewee model instance per row costs about three times as much."""
    return cast("list[tuple[Any, ...]]", list(query.tuples()))
