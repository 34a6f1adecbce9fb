"""Absolute confidence thresholds (`min_confidence`, `auto_threshold`) were replaced by
edges over the model's typical (`min_edge`, `auto_edge`). A stored override of a retired
name would stop the agent from starting, and there is no honest conversion from one to
the other, so each is moved to the audit log (who set it, when, its value) and removed:
nothing is lost, and the new settings start at their defaults."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from peewee import SqliteDatabase

from storage.fields import to_utc_text

VERSION = 9
DESCRIPTION = "retire absolute confidence thresholds (overrides kept in the audit log)"

_RETIRED = ("min_confidence", "auto_threshold")


def apply(db: SqliteDatabase) -> None:
    placeholders = ", ".join("?" for _ in _RETIRED)
    rows = db.execute_sql(
        f"SELECT key, value, updated_at, updated_by FROM settings_overrides "
        f"WHERE key IN ({placeholders})",
        _RETIRED,
    ).fetchall()
    if not rows:
        return
    details = {
        key: {"old": json.loads(value), "set_at": set_at, "set_by": set_by}
        for key, value, set_at, set_by in rows
    }
    db.execute_sql(
        "INSERT INTO audit_events (timestamp, actor, action, details) VALUES (?, ?, ?, ?)",
        (to_utc_text(datetime.now(UTC)), "system", "settings.retired", json.dumps(details)),
    )
    db.execute_sql(f"DELETE FROM settings_overrides WHERE key IN ({placeholders})", _RETIRED)
