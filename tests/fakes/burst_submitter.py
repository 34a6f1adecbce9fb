"""Run as a subprocess by the crash test: submits a burst of planned entries (each an
approved signal with its stop) to the fake Alpaca server through the real order desk —
every fill places or resizes the protective stop — until the test kills it.

Usage: python -m tests.fakes.burst_submitter DB_PATH BASE_URL COUNT
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.base.clock import LiveClock
from core.base.types import OrderSide, OrderStatus, SignalType, TradingMode, TradingSignal
from execution.alpaca_broker import AlpacaBroker
from execution.desk import open_desk
from execution.order_manager import OrderIntent, client_order_id_for
from storage.database import open_database
from storage.signals import save_signal
from storage.sqlite_store import SqliteStore


def main() -> None:
    database, base_url, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    open_database(database)
    broker = AlpacaBroker("test-key", "test-secret", base_url=base_url, timeout=2.0)
    desk = open_desk(broker, store=SqliteStore(), clock=LiveClock())
    if not desk.reconciler.run().ok:
        raise SystemExit("reconciliation failed")
    manager = desk.orders
    print("ready", flush=True)
    for i in range(count):
        signal_id = f"burst{i}"
        now = datetime.now(UTC)
        save_signal(
            TradingSignal(
                id=signal_id,
                symbol="PLTR",
                signal_type=SignalType.BUY,
                confidence=0.7,
                price=25.0,
                quantity=1,
                stop_price=23.0,
                mode=TradingMode.MANUAL,
                status=OrderStatus.APPROVED,
                created_at=now,
                expires_at=now + timedelta(minutes=15),
            )
        )
        manager.submit(
            OrderIntent(
                client_order_id=client_order_id_for(signal_id),
                symbol="PLTR",
                side=OrderSide.BUY,
                quantity=1,
                signal_id=signal_id,
            )
        )
    print("done", flush=True)


if __name__ == "__main__":
    main()
