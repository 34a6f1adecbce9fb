"""One replay through each store — SQLite, as the live agent keeps its books, and memory,
as backtests run — gives row-for-row identical orders, fills, positions and equity
(the memory store's run written to SQLite in bulk at the end)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from core.drivers.backtest import BacktestConfig, run_backtest
from storage.database import close_database, open_database
from storage.memory_store import MemoryStore
from storage.models import EquitySnapshot, Fill, Order, Position, Signal
from storage.sqlite_store import SqliteStore
from tests.integration.core import test_backtest_oracle as oracle


def rows(path: Path) -> dict[str, list[tuple]]:
    open_database(path)
    try:
        return {
            "orders": [
                (
                    o.client_order_id,
                    o.side,
                    o.order_type,
                    o.quantity,
                    o.status,
                    o.purpose,
                    o.reason,
                    o.stop_price,
                    o.filled_quantity,
                    o.filled_avg_price,
                    o.broker_order_id,
                )
                for o in Order.select().order_by(Order.id)
            ],
            "fills": [
                (f.order.client_order_id, f.side, f.quantity, f.price, f.commission, f.filled_at)
                for f in Fill.select().order_by(Fill.id)
            ],
            "positions": [
                (p.symbol, p.quantity, p.avg_entry_price, p.stop_price, p.status, p.exit_reason)
                for p in Position.select().order_by(Position.id)
            ],
            "signals": [
                (s.id, s.signal_type, s.quantity, s.status)
                for s in Signal.select().order_by(Signal.id)
            ],
            "equity": [
                (e.timestamp, round(e.equity, 6), round(e.cash, 6))
                for e in EquitySnapshot.select().order_by(EquitySnapshot.timestamp)
            ],
        }
    finally:
        close_database()


def test_sqlite_and_memory_replays_are_identical_row_for_row(tmp_path: Path) -> None:
    frame = oracle.series()
    days = [ts.date() for ts in frame.loc[pd.Timestamp(oracle.START, tz="UTC") :].index]
    results = {}
    for name, store in (("sqlite", SqliteStore()), ("memory", MemoryStore())):
        results[name] = run_backtest(
            oracle.oracle_settings(0.03),
            {"ORCL": frame},
            BacktestConfig(symbols=["ORCL"], start=oracle.START, end=oracle.END),
            predictor=oracle.fixed_predictions(frame, days),
            workdir=tmp_path,
            store=store,
            keep=tmp_path / f"{name}.db",
        )
    sqlite, memory = rows(tmp_path / "sqlite.db"), rows(tmp_path / "memory.db")
    assert len(sqlite["orders"]) > 20, "the run must trade (entries, stops, exits)"
    assert any(row[5] == "protect" and row[4] == "filled" for row in sqlite["orders"])
    for table in sqlite:
        assert sqlite[table] == memory[table], table
    assert results["sqlite"].metrics == results["memory"].metrics
