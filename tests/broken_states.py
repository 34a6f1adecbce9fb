"""Broken states a machine can be in, made on purpose for tests: a database with damaged
pages (as a failing disk leaves it), a folder nobody may write."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from storage import audit
from storage.database import close_database, open_database

PAGE = 4096


def filled_database(path: Path, rows: int = 2000) -> Path:
    """A migrated database with enough rows to span many pages."""
    open_database(path)
    try:
        at = datetime(2024, 1, 1, tzinfo=UTC)
        for i in range(rows):
            audit.record("system", "tick", {"i": i, "pad": "x" * 100}, at=at)
    finally:
        close_database()
    return path


def damage(path: Path) -> bytes:
    """Overwrite the middle of a few pages; the header stays, so SQLite still opens the
    file and only an integrity check finds the damage. Returns the damaged bytes."""
    data = bytearray(path.read_bytes())
    for page in (2, 3, len(data) // PAGE // 2):
        data[page * PAGE + 8 : page * PAGE + 200] = b"\xff" * 192
    path.write_bytes(bytes(data))
    return bytes(data)


def damaged_database(path: Path) -> bytes:
    return damage(filled_database(path))
