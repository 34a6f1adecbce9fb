"""Is the database file sound? `PRAGMA quick_check` on a read-only connection, so a
damaged file is found before anything writes to it, and is never changed by looking.

Without a write-ahead log beside it (the agent is not running) the file is opened
`immutable`: SQLite then creates no `-wal`/`-shm` files either. With one (the agent
runs), a plain read-only connection reads the log too.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from storage.errors import StorageError

RESTORE_STEPS = (
    'restore a backup as "Backup and restore" in docs/operations.md says: stop the agent, '
    "move {name} (with any {name}-wal and {name}-shm) aside, copy the backup in as "
    "{name}, run `stockbot doctor`"
)


SHOWN = 2
"""SQLite's findings shown in the one-line message (it may list hundreds)."""


def read_only_uri(path: Path) -> str:
    """A URI that opens `path` without writing anything beside it or in it."""
    mode = "mode=ro" if Path(f"{path}-wal").exists() else "mode=ro&immutable=1"
    return f"file:{quote(str(path.absolute()))}?{mode}"


def quick_check(path: Path, *, timeout: float = 5.0) -> str | None:
    """None when the database at `path` passes `PRAGMA quick_check`; else SQLite's
    first findings. Raises `StorageError` when the file cannot be read at all."""
    try:
        connection = sqlite3.connect(read_only_uri(path), uri=True, timeout=timeout)
    except sqlite3.Error as error:
        raise StorageError(f"cannot read database {path}: {error}") from error
    try:
        rows = connection.execute("PRAGMA quick_check").fetchall()
    except sqlite3.OperationalError as error:  # unreadable, locked: not damage
        raise StorageError(f"cannot read database {path}: {error}") from error
    except sqlite3.DatabaseError as error:  # "file is not a database", "malformed"
        return str(error)
    finally:
        connection.close()
    findings = [
        line.strip()
        for row in rows
        if row[0] != "ok"
        for line in str(row[0]).splitlines()
        if line.strip() and not line.startswith("***")
    ]
    if not findings:
        return None
    more = f"; and {len(findings) - SHOWN} more" if len(findings) > SHOWN else ""
    return "; ".join(findings[:SHOWN]) + more


def damaged_message(path: Path, problem: str) -> str:
    """One line: which file, what SQLite found, that nothing was changed, what to do."""
    steps = RESTORE_STEPS.format(name=path.name)
    found = f"PRAGMA quick_check: {problem}"
    return f"database {path} is damaged ({found}) and was left untouched; {steps}"


def require_sound(path: Path) -> None:
    """Raise `StorageError` (one line, with the restore steps) if `path` is damaged."""
    if not path.is_file():
        return
    problem = quick_check(path)
    if problem is not None:
        raise StorageError(damaged_message(path, problem))
