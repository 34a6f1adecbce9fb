"""Runtime setting overrides. Callers validate (core.base.settings.apply_overrides) first:
storage keeps whatever it is given, together with who changed it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from storage import audit
from storage.database import database_proxy
from storage.models import SettingOverride


def load_overrides() -> dict[str, Any]:
    return {row.key: row.value for row in SettingOverride.select()}


def save_overrides(
    changes: Mapping[str, Any],
    actor: str,
    *,
    origin: str | None = None,
    now: datetime | None = None,
) -> None:
    """Upsert every changed key and audit old → new values, all in one transaction."""
    now = now or datetime.now(UTC)
    with database_proxy.atomic(lock_type="IMMEDIATE"):
        before = load_overrides()
        for key, value in changes.items():
            SettingOverride.insert(
                key=key, value=value, updated_at=now, updated_by=actor
            ).on_conflict_replace().execute()
        audit.record(
            actor,
            "settings.update",
            {key: {"old": before.get(key), "new": value} for key, value in changes.items()},
            origin=origin,
            at=now,
        )


def clear_overrides(keys: list[str], actor: str, *, now: datetime | None = None) -> None:
    """Drop overrides so the config.yaml values apply again."""
    now = now or datetime.now(UTC)
    with database_proxy.atomic(lock_type="IMMEDIATE"):
        SettingOverride.delete().where(SettingOverride.key.in_(keys)).execute()
        audit.record(actor, "settings.reset", {"keys": keys}, at=now)
