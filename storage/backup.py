"""Online backup with SQLite's backup API: consistent even while the agent writes."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from storage.database import StorageError
from storage.integrity import quick_check, read_only_uri


def _check_destination(source: Path, destination: Path, *, overwrite: bool) -> None:
    if destination.is_dir():
        raise StorageError(f"{destination} is a folder; give the backup a file name")
    if destination.resolve() == source.resolve():
        raise StorageError("the backup path is the database itself; choose another file")
    if destination.exists() and not overwrite:
        raise StorageError(f"{destination} exists; remove it or choose another file")
    for part in reversed(destination.absolute().parents):
        if part.exists() and not part.is_dir():
            raise StorageError(f"cannot write the backup to {destination}: {part} is a file")
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StorageError(
            f"cannot write the backup to {destination}: {error.strerror or error}"
        ) from error
    if not os.access(destination.parent, os.W_OK | os.X_OK):
        raise StorageError(
            f"cannot write the backup to {destination}: the folder {destination.parent} "
            "is not writable by this user"
        )


def backup_database(source: Path, destination: Path, *, overwrite: bool = False) -> int:
    """Copy `source` to `destination`; returns the destination's size in bytes. The
    copy is integrity-checked; a copy that fails is removed."""
    if not source.is_file():
        raise StorageError(f"no database at {source}")
    _check_destination(source, destination, overwrite=overwrite)
    try:
        src = sqlite3.connect(read_only_uri(source), uri=True, timeout=5)
    except sqlite3.Error as error:
        raise StorageError(f"cannot read database {source}: {error}") from error
    try:
        dst = sqlite3.connect(str(destination))
    except sqlite3.Error as error:
        src.close()
        raise StorageError(f"cannot write the backup to {destination}: {error}") from error
    try:
        try:
            with dst:
                # Copy in steps so a busy agent is never blocked for long.
                src.backup(dst, pages=256, sleep=0.005)
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as error:
            check = str(error)
    finally:
        dst.close()
        src.close()
    if check != "ok":
        destination.unlink(missing_ok=True)
        damaged = quick_check(source)
        where = f"the database {source} itself is damaged ({damaged})" if damaged else check
        raise StorageError(f"backup to {destination} failed its integrity check: {where}")
    return destination.stat().st_size
