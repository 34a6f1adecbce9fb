from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.database import StorageError, close_database, connect, open_database
from storage.migrations import LATEST_VERSION, MIGRATIONS, current_version, migrate
from storage.models import ALL_MODELS, AuditEvent


def test_empty_database_migrates_to_latest(tmp_path: Path) -> None:
    db = connect(tmp_path / "new.db")
    assert current_version(db) == 0
    assert migrate(db) == [m.version for m in MIGRATIONS]
    assert current_version(db) == LATEST_VERSION
    assert migrate(db) == []  # idempotent
    db.close()


def test_models_match_the_migrated_schema(database) -> None:
    """The peewee classes and the migrations describe the same columns."""
    for model in ALL_MODELS:
        table = model._meta.table_name
        columns = {column.name for column in database.get_columns(table)}
        fields = {field.column_name for field in model._meta.sorted_fields}
        assert columns == fields, table


def test_pragmas_are_set(database) -> None:
    assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert database.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert database.execute_sql("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_older_schema_upgrades_in_place_keeping_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = connect(path)
    migrate(db, target=1)
    db.execute_sql(
        "INSERT INTO audit_events (timestamp, actor, action, details) VALUES (?, ?, ?, ?)",
        ("2024-01-02T15:00:00.000000Z", "system", "start", "{}"),
    )
    columns = {c.name for c in db.get_columns("audit_events")}
    assert "origin" not in columns
    db.close()

    open_database(path)
    try:
        event = AuditEvent.get()
        assert event.actor == "system"
        assert event.timestamp == datetime(2024, 1, 2, 15, tzinfo=UTC)
        assert event.origin is None
        AuditEvent.create(
            timestamp=datetime.now(UTC), actor="web:owner", action="x", origin="127.0.0.1"
        )
        assert AuditEvent.select().where(AuditEvent.origin == "127.0.0.1").count() == 1
    finally:
        close_database()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = connect(tmp_path / "future.db")
    migrate(db)
    db.execute_sql(
        "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
        (LATEST_VERSION + 1, "from the future", "2030-01-01T00:00:00.000000Z"),
    )
    with pytest.raises(StorageError, match="newer than this stockbot"):
        migrate(db)
    db.close()


def test_retired_confidence_overrides_move_to_the_audit_log(tmp_path: Path) -> None:
    """An owner's stored min_confidence would stop the agent from starting once the name
    is gone: migration 9 keeps who set it, when and its value in the audit log."""
    path = tmp_path / "before-edges.db"
    db = connect(path)
    migrate(db, target=8)
    for key, value in (("min_confidence", "0.65"), ("risk_per_trade", "0.01")):
        db.execute_sql(
            "INSERT INTO settings_overrides (key, value, updated_at, updated_by) "
            "VALUES (?, ?, ?, ?)",
            (key, value, "2025-03-04T15:00:00.000000Z", "telegram:42"),
        )
    db.close()

    open_database(path)
    try:
        from storage.overrides import load_overrides

        assert load_overrides() == {"risk_per_trade": 0.01}
        retired = AuditEvent.get(AuditEvent.action == "settings.retired")
        assert retired.details == {
            "min_confidence": {
                "old": 0.65,
                "set_at": "2025-03-04T15:00:00.000000Z",
                "set_by": "telegram:42",
            }
        }
    finally:
        close_database()
