"""Run as a subprocess by the crash test: submits a burst of order intents to the fake
Alpaca server through the real order manager, until the test kills it.

Usage: python -m tests.fakes.burst_submitter DB_PATH BASE_URL COUNT
"""

from __future__ import annotations

import sys
from pathlib import Path

from core.base.clock import LiveClock
from core.base.types import OrderSide
from execution.alpaca_broker import AlpacaBroker
from execution.desk import open_desk
from execution.order_manager import OrderIntent, client_order_id_for
from storage.database import open_database


def main() -> None:
    database, base_url, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    open_database(database)
    broker = AlpacaBroker("test-key", "test-secret", base_url=base_url, timeout=2.0)
    desk = open_desk(broker, clock=LiveClock())
    if not desk.reconciler.run().ok:
        raise SystemExit("reconciliation failed")
    manager = desk.orders
    print("ready", flush=True)
    for i in range(count):
        manager.submit(
            OrderIntent(
                client_order_id=client_order_id_for(f"burst{i}"),
                symbol="PLTR",
                side=OrderSide.BUY,
                quantity=1,
            )
        )
    print("done", flush=True)


if __name__ == "__main__":
    main()
