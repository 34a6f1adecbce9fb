"""Flatten kills as durable jobs: recorded before they start, finished when the broker
shows no position and no working order (or given up with what is left)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.models import FlattenJob

RUNNING, DONE, FAILED = "running", "done", "failed"


@dataclass(frozen=True)
class FlattenJobRecord:
    id: int
    requested_by: str
    origin: str | None
    requested_at: datetime
    status: str
    detail: str | None


def _record(row: FlattenJob) -> FlattenJobRecord:
    return FlattenJobRecord(
        row.id, row.requested_by, row.origin, row.requested_at, row.status, row.detail
    )


def start(requested_by: str, *, origin: str | None, at: datetime) -> FlattenJobRecord:
    row = FlattenJob.create(
        requested_by=requested_by, origin=origin, requested_at=at, status=RUNNING
    )
    return _record(row)


def unfinished() -> list[FlattenJobRecord]:
    rows = FlattenJob.select().where(FlattenJob.status == RUNNING).order_by(FlattenJob.id)
    return [_record(row) for row in rows]


def finish(job_id: int, *, status: str, detail: str, at: datetime) -> None:
    FlattenJob.update(status=status, detail=detail, finished_at=at).where(
        FlattenJob.id == job_id
    ).execute()


def recent(limit: int = 20) -> list[FlattenJobRecord]:
    rows = FlattenJob.select().order_by(FlattenJob.id.desc()).limit(limit)
    return [_record(row) for row in rows]
