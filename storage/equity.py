"""Equity snapshots: the account's value over time (the equity curve)."""

from __future__ import annotations

from datetime import datetime

from storage.models import EquitySnapshot


def record_snapshot(
    *, at: datetime, equity: float, cash: float, exposure: float, daily_pnl: float
) -> None:
    """One row per timestamp; a second snapshot at the same time replaces the first."""
    EquitySnapshot.insert(
        timestamp=at, equity=equity, cash=cash, exposure=exposure, daily_pnl=daily_pnl
    ).on_conflict_replace().execute()


def curve(since: datetime | None = None) -> list[EquitySnapshot]:
    query = EquitySnapshot.select().order_by(EquitySnapshot.timestamp)
    if since is not None:
        query = query.where(EquitySnapshot.timestamp >= since)
    return list(query)


def latest_before(at: datetime) -> EquitySnapshot | None:
    return (
        EquitySnapshot.select()
        .where(EquitySnapshot.timestamp < at)
        .order_by(EquitySnapshot.timestamp.desc())
        .first()
    )
