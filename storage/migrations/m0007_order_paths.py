"""What crash- and race-proof order paths need to remember:

- `orders.purpose`: what an order does to the book (open, reduce, flatten, protect),
  so a resend after a restart passes the trading-state gate exactly as the first send
  would have; `orders.time_in_force` (protective stops are good-till-cancelled);
  `orders.reason`: why it was sent (signal, stop, trailing_stop, time, flatten), which
  becomes the position's exit reason when it closes it;
- `positions.exit_reason`: why a position closed (signal, stop, trailing_stop, time,
  flatten, broker);
- `bot_state.version`: the trading state changes by compare-and-set on it, so a lift
  of the daily-loss halt can never undo a person's kill that landed in between;
- `flatten_jobs`: a flatten is a durable job, recorded before it starts and resumed at
  start until the broker shows no position and no working order;
- `model_runs` is dropped: the model registry's `current` pointer is the one truth of
  which model trades (the table was written by `train` and read by nobody).
"""

from __future__ import annotations

from peewee import SqliteDatabase

VERSION = 7
DESCRIPTION = "order purpose, exit reason, trading state version, flatten jobs"

_STATEMENTS = (
    "ALTER TABLE orders ADD COLUMN purpose TEXT NOT NULL DEFAULT 'open'",
    "ALTER TABLE orders ADD COLUMN time_in_force TEXT NOT NULL DEFAULT 'day'",
    "ALTER TABLE orders ADD COLUMN reason TEXT",
    # Before this migration protective exits and flatten orders were sent as closing
    # orders and every other sell as a reduction.
    "UPDATE orders SET purpose = 'reduce' WHERE side = 'sell'",
    "UPDATE orders SET purpose = 'flatten' "
    "WHERE client_order_id LIKE 'sb-flat-%' OR client_order_id LIKE 'sb-stop-%'",
    "ALTER TABLE positions ADD COLUMN exit_reason TEXT",
    "ALTER TABLE bot_state ADD COLUMN version INTEGER NOT NULL DEFAULT 0",
    """
    CREATE TABLE flatten_jobs (
        id INTEGER PRIMARY KEY,
        requested_by TEXT NOT NULL,
        origin TEXT,
        requested_at TEXT NOT NULL,
        status TEXT NOT NULL,
        detail TEXT,
        finished_at TEXT
    )
    """,
    "CREATE INDEX flatten_jobs_status ON flatten_jobs (status)",
    "DROP TABLE model_runs",
)


def apply(db: SqliteDatabase) -> None:
    for statement in _STATEMENTS:
        db.execute_sql(statement)
