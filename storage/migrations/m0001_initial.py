"""The first schema: signals, orders, fills, positions, predictions, equity, settings
overrides, audit, model runs, bar cache, bot state and the Telegram message map."""

from __future__ import annotations

from peewee import SqliteDatabase

VERSION = 1
DESCRIPTION = "initial schema"

_STATEMENTS = (
    """
    CREATE TABLE signals (
        id TEXT PRIMARY KEY,
        symbol TEXT NOT NULL,
        signal_type TEXT NOT NULL,
        confidence REAL NOT NULL,
        price REAL NOT NULL,
        quantity INTEGER NOT NULL,
        stop_price REAL,
        risk_amount REAL NOT NULL DEFAULT 0,
        mode TEXT NOT NULL,
        status TEXT NOT NULL,
        reasons TEXT NOT NULL DEFAULT '[]',
        prediction TEXT,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        decided_at TEXT,
        decided_by TEXT,
        updated_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX signals_status_expiry ON signals (status, expires_at)",
    "CREATE INDEX signals_symbol_created ON signals (symbol, created_at)",
    """
    CREATE TABLE orders (
        id INTEGER PRIMARY KEY,
        client_order_id TEXT NOT NULL UNIQUE,
        broker_order_id TEXT UNIQUE,
        signal_id TEXT REFERENCES signals (id),
        symbol TEXT NOT NULL,
        side TEXT NOT NULL,
        order_type TEXT NOT NULL,
        quantity REAL NOT NULL,
        limit_price REAL,
        stop_price REAL,
        status TEXT NOT NULL,
        filled_quantity REAL NOT NULL DEFAULT 0,
        filled_avg_price REAL,
        external INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        created_at TEXT NOT NULL,
        submitted_at TEXT,
        updated_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX orders_status ON orders (status)",
    "CREATE INDEX orders_signal ON orders (signal_id)",
    """
    CREATE TABLE fills (
        id INTEGER PRIMARY KEY,
        order_id INTEGER NOT NULL REFERENCES orders (id),
        broker_fill_id TEXT UNIQUE,
        symbol TEXT NOT NULL,
        side TEXT NOT NULL,
        quantity REAL NOT NULL,
        price REAL NOT NULL,
        commission REAL NOT NULL DEFAULT 0,
        filled_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX fills_order ON fills (order_id)",
    """
    CREATE TABLE positions (
        id INTEGER PRIMARY KEY,
        symbol TEXT NOT NULL,
        quantity REAL NOT NULL,
        avg_entry_price REAL NOT NULL,
        initial_stop REAL,
        stop_price REAL,
        trailing_stop REAL,
        highest_price REAL,
        status TEXT NOT NULL,
        realized_pnl REAL NOT NULL DEFAULT 0,
        opened_at TEXT NOT NULL,
        closed_at TEXT,
        updated_at TEXT NOT NULL
    )
    """,
    # At most one open position per symbol; closed ones stay as history.
    "CREATE UNIQUE INDEX positions_open_symbol ON positions (symbol) WHERE status = 'open'",
    """
    CREATE TABLE predictions (
        id INTEGER PRIMARY KEY,
        symbol TEXT NOT NULL,
        bar_time TEXT NOT NULL,
        horizon INTEGER NOT NULL,
        probability_up REAL NOT NULL,
        model_run_id TEXT NOT NULL,
        details TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        outcome INTEGER,
        realized_return REAL,
        scored_at TEXT,
        UNIQUE (symbol, bar_time, horizon, model_run_id)
    )
    """,
    "CREATE INDEX predictions_unscored ON predictions (outcome, bar_time)",
    """
    CREATE TABLE equity_snapshots (
        id INTEGER PRIMARY KEY,
        timestamp TEXT NOT NULL UNIQUE,
        equity REAL NOT NULL,
        cash REAL NOT NULL,
        exposure REAL NOT NULL DEFAULT 0,
        daily_pnl REAL NOT NULL DEFAULT 0
    )
    """,
    """
    CREATE TABLE settings_overrides (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        updated_by TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE audit_events (
        id INTEGER PRIMARY KEY,
        timestamp TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        details TEXT NOT NULL DEFAULT '{}'
    )
    """,
    "CREATE INDEX audit_events_timestamp ON audit_events (timestamp)",
    """
    CREATE TABLE model_runs (
        run_id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        path TEXT NOT NULL,
        metrics TEXT NOT NULL DEFAULT '{}',
        is_current INTEGER NOT NULL DEFAULT 0
    )
    """,
    """
    CREATE TABLE bars (
        provider TEXT NOT NULL,
        symbol TEXT NOT NULL,
        timeframe TEXT NOT NULL,
        adjustment TEXT NOT NULL,
        ts INTEGER NOT NULL,
        open REAL NOT NULL,
        high REAL NOT NULL,
        low REAL NOT NULL,
        close REAL NOT NULL,
        volume REAL NOT NULL,
        PRIMARY KEY (provider, symbol, timeframe, adjustment, ts)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE bot_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        trading_state TEXT NOT NULL,
        changed_by TEXT NOT NULL,
        reason TEXT NOT NULL,
        changed_at TEXT NOT NULL,
        session_date TEXT,
        session_start_equity REAL
    )
    """,
    """
    CREATE TABLE telegram_messages (
        id INTEGER PRIMARY KEY,
        signal_id TEXT NOT NULL REFERENCES signals (id),
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        created_at TEXT NOT NULL
    )
    """,
    "CREATE UNIQUE INDEX telegram_messages_signal_chat ON telegram_messages (signal_id, chat_id)",
)


def apply(db: SqliteDatabase) -> None:
    for statement in _STATEMENTS:
        db.execute_sql(statement)
