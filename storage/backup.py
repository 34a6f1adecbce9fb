"""Online backup with SQLite's backup API: consistent even while the agent writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage.database import StorageError


def backup_database(source: Path, destination: Path, *, overwrite: bool = False) -> int:
    """Copy `source` to `destination`; returns the destination's size in bytes."""
    if not source.is_file():
        raise StorageError(f"no database at {source}")
    if destination.resolve() == source.resolve():
        raise StorageError("the backup path is the database itself; choose another file")
    if destination.exists() and not overwrite:
        raise StorageError(f"{destination} exists; remove it or choose another file")
    destination.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=5)
    dst = sqlite3.connect(str(destination))
    try:
        with dst:
            # Copy in steps so a busy agent is never blocked for long.
            src.backup(dst, pages=256, sleep=0.005)
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise StorageError(f"backup at {destination} failed its integrity check: {check}")
    finally:
        dst.close()
        src.close()
    return destination.stat().st_size
