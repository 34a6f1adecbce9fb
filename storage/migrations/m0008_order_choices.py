"""What a person may change when approving, and when the order goes out:

- `orders.planned_stop`: the stop the protective order will hold when the approver
  tightened it (otherwise the signal's plan applies);
- `orders.send_after`: an order approved outside market hours "for the open" waits in
  the journal until just before the next open, is re-checked then, and goes out
  market-on-open;
- `orders.extended_hours`: an order approved "for extended hours" (a limit order).
"""

from __future__ import annotations

from peewee import SqliteDatabase

VERSION = 8
DESCRIPTION = "approval changes: planned stop, queued for the open, extended hours"

_STATEMENTS = (
    "ALTER TABLE orders ADD COLUMN planned_stop REAL",
    "ALTER TABLE orders ADD COLUMN send_after TEXT",
    "ALTER TABLE orders ADD COLUMN extended_hours INTEGER NOT NULL DEFAULT 0",
    "CREATE INDEX orders_send_after ON orders (send_after)",
)


def apply(db: SqliteDatabase) -> None:
    for statement in _STATEMENTS:
        db.execute_sql(statement)
