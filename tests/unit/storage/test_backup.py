from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage import audit
from storage.backup import backup_database
from storage.database import StorageError, close_database, open_database


def test_backup_while_writing_is_consistent(tmp_path: Path) -> None:
    source = tmp_path / "live.db"
    open_database(source)
    try:
        start = datetime(2024, 1, 1, tzinfo=UTC)
        for i in range(500):
            audit.record("system", "tick", {"i": i}, at=start + timedelta(seconds=i))
        stop = threading.Event()

        def writer() -> None:
            open_database(source, migrate_schema=False)
            i = 500
            while not stop.is_set():
                audit.record("system", "tick", {"i": i})
                i += 1

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            size = backup_database(source, tmp_path / "copy.db")
        finally:
            stop.set()
            thread.join()
    finally:
        close_database()
    assert size > 0
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT COUNT(*) FROM audit_events").fetchone()[0] >= 500
    copy.close()


def test_backup_refuses_to_overwrite_or_copy_onto_itself(tmp_path: Path) -> None:
    source = tmp_path / "a.db"
    open_database(source)
    close_database()
    (tmp_path / "exists.db").write_bytes(b"x")
    with pytest.raises(StorageError, match="exists"):
        backup_database(source, tmp_path / "exists.db")
    with pytest.raises(StorageError, match="database itself"):
        backup_database(source, source)
    with pytest.raises(StorageError, match="no database"):
        backup_database(tmp_path / "missing.db", tmp_path / "b.db")
