"""Backtests run from the web page: request, progress, result or error."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.models import BacktestRun

RUNNING, DONE, FAILED = "running", "done", "failed"


@dataclass(frozen=True)
class BacktestRunRecord:
    id: str
    created_at: datetime
    actor: str
    request: dict[str, Any]
    status: str
    """running, done or failed."""
    done: int
    total: int
    result: dict[str, Any] | None
    error: str | None
    finished_at: datetime | None


def _record(row: BacktestRun) -> BacktestRunRecord:
    return BacktestRunRecord(
        id=row.id,
        created_at=row.created_at,
        actor=row.actor,
        request=row.request,
        status=row.status,
        done=row.done,
        total=row.total,
        result=row.result,
        error=row.error,
        finished_at=row.finished_at,
    )


def create(run_id: str, *, actor: str, request: Mapping[str, Any], at: datetime) -> None:
    BacktestRun.create(id=run_id, created_at=at, actor=actor, request=dict(request), status=RUNNING)


def record_progress(run_id: str, done: int, total: int) -> None:
    BacktestRun.update(done=done, total=total).where(BacktestRun.id == run_id).execute()


def finish(
    run_id: str,
    *,
    at: datetime,
    result: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> None:
    BacktestRun.update(
        status=FAILED if error else DONE,
        result=dict(result) if result is not None else None,
        error=error,
        finished_at=at,
    ).where(BacktestRun.id == run_id).execute()


def fail_unfinished(reason: str, at: datetime) -> int:
    """Runs left `running` by a stopped process can never finish: say so."""
    return (
        BacktestRun.update(status=FAILED, error=reason, finished_at=at)
        .where(BacktestRun.status == RUNNING)
        .execute()
    )


def get(run_id: str) -> BacktestRunRecord | None:
    row = BacktestRun.get_or_none(BacktestRun.id == run_id)
    return _record(row) if row else None


def recent(limit: int = 20) -> list[BacktestRunRecord]:
    rows = BacktestRun.select().order_by(BacktestRun.created_at.desc()).limit(limit)
    return [_record(row) for row in rows]
