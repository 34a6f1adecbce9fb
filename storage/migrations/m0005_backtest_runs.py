"""Backtests started from the web page run in a child process; their request, progress
and result are kept so past runs survive a restart (and an interrupted run says so)."""

from __future__ import annotations

from peewee import SqliteDatabase

VERSION = 5
DESCRIPTION = "backtest_runs"


def apply(db: SqliteDatabase) -> None:
    db.execute_sql(
        """
        CREATE TABLE backtest_runs (
            id VARCHAR(255) NOT NULL PRIMARY KEY,
            created_at TEXT NOT NULL,
            actor VARCHAR(255) NOT NULL,
            request TEXT NOT NULL,
            status VARCHAR(255) NOT NULL,
            done INTEGER NOT NULL,
            total INTEGER NOT NULL,
            result TEXT,
            error TEXT,
            finished_at TEXT
        )
        """
    )
