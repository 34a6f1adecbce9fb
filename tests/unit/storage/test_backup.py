from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage import audit
from storage.backup import backup_database
from storage.database import StorageError, close_database, open_database
from storage.integrity import quick_check
from tests.broken_states import damage, filled_database


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


def test_backup_into_an_impossible_path_is_one_clear_error(tmp_path: Path) -> None:
    source = tmp_path / "a.db"
    open_database(source)
    close_database()
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(StorageError, match=r"cannot write the backup to .*: .*file is a file"):
        backup_database(source, tmp_path / "file" / "b.db")
    with pytest.raises(StorageError, match="is a folder; give the backup a file name"):
        backup_database(source, tmp_path)


def test_a_damaged_database_is_refused_and_left_byte_identical(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = home / "stockbot.db"
    filled_database(path)
    damage(path)
    before = path.read_bytes()
    with pytest.raises(StorageError) as caught:
        open_database(path)
    message = str(caught.value)
    assert message.startswith(f"database {path} is damaged (PRAGMA quick_check: ")
    assert "left untouched" in message
    assert 'restore a backup as "Backup and restore" in docs/operations.md says' in message
    assert "\n" not in message
    assert path.read_bytes() == before
    assert sorted(p.name for p in home.iterdir()) == ["stockbot.db"]  # no -wal, no -shm


def test_backup_of_a_damaged_database_says_so_and_leaves_no_copy(tmp_path: Path) -> None:
    path = tmp_path / "stockbot.db"
    filled_database(path)
    damage(path)
    with pytest.raises(StorageError, match=rf"the database {path} itself is damaged"):
        backup_database(path, tmp_path / "copy.db")
    assert not (tmp_path / "copy.db").exists()


def test_a_sound_database_passes_the_check(tmp_path: Path) -> None:
    path = tmp_path / "stockbot.db"
    filled_database(path)
    assert quick_check(path) is None
    open_database(path)  # no error
    close_database()


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "stockbot.db"
    path.write_bytes(b"this is a text file, not SQLite" * 100)
    with pytest.raises(StorageError, match=r"is damaged .*file is not a database"):
        open_database(path)


def test_a_database_folder_under_a_file_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(StorageError, match="cannot create the database folder"):
        open_database(tmp_path / "file" / "home" / "stockbot.db")
