"""Backtests run from the web page: request, progress, result or error."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from storage.models import BacktestRun

RUNNING, DONE, FAILED = "running", "done", "failed"


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


def get(run_id: str) -> BacktestRun | None:
    return BacktestRun.get_or_none(BacktestRun.id == run_id)


def recent(limit: int = 20) -> list[BacktestRun]:
    return list(BacktestRun.select().order_by(BacktestRun.created_at.desc()).limit(limit))
