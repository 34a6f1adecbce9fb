"""The audit log: who changed what, when and from where (DESIGN §3)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from storage.models import AuditEvent


def record(
    actor: str,
    action: str,
    details: Mapping[str, Any] | None = None,
    *,
    origin: str | None = None,
    at: datetime | None = None,
) -> None:
    AuditEvent.create(
        timestamp=at or datetime.now(UTC),
        actor=actor,
        action=action,
        details=dict(details or {}),
        origin=origin,
    )


def recent(limit: int = 100, *, action_prefix: str | None = None) -> list[AuditEvent]:
    query = AuditEvent.select().order_by(AuditEvent.timestamp.desc(), AuditEvent.id.desc())
    if action_prefix:
        query = query.where(AuditEvent.action.startswith(action_prefix))
    return list(query.limit(limit))
