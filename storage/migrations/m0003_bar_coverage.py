"""The bar cache records which time range it has fetched per key, so it fetches only
what is missing: bars alone cannot tell a weekend from a gap never fetched."""

from __future__ import annotations

from peewee import SqliteDatabase

VERSION = 3
DESCRIPTION = "bar_coverage"


def apply(db: SqliteDatabase) -> None:
    db.execute_sql(
        """
        CREATE TABLE bar_coverage (
            provider TEXT NOT NULL,
            symbol TEXT NOT NULL,
            timeframe TEXT NOT NULL,
            adjustment TEXT NOT NULL,
            start_ts INTEGER NOT NULL,
            end_ts INTEGER NOT NULL,
            fetched_at TEXT NOT NULL,
            PRIMARY KEY (provider, symbol, timeframe, adjustment)
        ) WITHOUT ROWID
        """
    )
