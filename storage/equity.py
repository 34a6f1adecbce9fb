"""Equity snapshots: the account's value over time (the equity curve)."""

from __future__ import annotations

from datetime import datetime

from storage.models import EquitySnapshot
from storage.records import EquityRecord


def record_snapshot(
    *, at: datetime, equity: float, cash: float, exposure: float, daily_pnl: float
) -> None:
    """One row per timestamp; a second snapshot at the same time replaces the first."""
    EquitySnapshot.insert(
        timestamp=at, equity=equity, cash=cash, exposure=exposure, daily_pnl=daily_pnl
    ).on_conflict_replace().execute()


def _record(row: EquitySnapshot) -> EquityRecord:
    return EquityRecord(row.timestamp, row.equity, row.cash, row.exposure, row.daily_pnl)


def curve(since: datetime | None = None) -> list[EquityRecord]:
    query = EquitySnapshot.select().order_by(EquitySnapshot.timestamp)
    if since is not None:
        query = query.where(EquitySnapshot.timestamp >= since)
    return [_record(row) for row in query]


def latest_before(at: datetime) -> EquityRecord | None:
    row = (
        EquitySnapshot.select()
        .where(EquitySnapshot.timestamp < at)
        .order_by(EquitySnapshot.timestamp.desc())
        .first()
    )
    return _record(row) if row else None
