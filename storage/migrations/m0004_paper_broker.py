"""The paper broker's own books: a simulated exchange keeps its cash, orders, positions
and fills apart from the agent's journal, so reconciliation compares two real views."""

from __future__ import annotations

from peewee import SqliteDatabase

VERSION = 4
DESCRIPTION = "paper broker tables"

_STATEMENTS = (
    """
    CREATE TABLE paper_account (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        cash REAL NOT NULL,
        starting_cash REAL NOT NULL,
        updated_at TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE paper_orders (
        id TEXT PRIMARY KEY,
        client_order_id TEXT NOT NULL UNIQUE,
        symbol TEXT NOT NULL,
        side TEXT NOT NULL,
        order_type TEXT NOT NULL,
        quantity REAL NOT NULL,
        limit_price REAL,
        stop_price REAL,
        status TEXT NOT NULL,
        filled_quantity REAL NOT NULL DEFAULT 0,
        filled_avg_price REAL,
        reject_reason TEXT,
        submitted_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX paper_orders_status ON paper_orders (status)",
    """
    CREATE TABLE paper_positions (
        symbol TEXT PRIMARY KEY,
        quantity REAL NOT NULL,
        avg_entry_price REAL NOT NULL,
        updated_at TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE paper_fills (
        id INTEGER PRIMARY KEY,
        order_id TEXT NOT NULL REFERENCES paper_orders (id),
        symbol TEXT NOT NULL,
        side TEXT NOT NULL,
        quantity REAL NOT NULL,
        price REAL NOT NULL,
        commission REAL NOT NULL DEFAULT 0,
        filled_at TEXT NOT NULL
    )
    """,
)


def apply(db: SqliteDatabase) -> None:
    for statement in _STATEMENTS:
        db.execute_sql(statement)
