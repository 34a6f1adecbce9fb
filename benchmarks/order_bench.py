"""Latency from "approve" (the order manager is handed an intent) to the order request
reaching the broker: the fake Alpaca HTTP server on 127.0.0.1, through alpaca-py and a
real SQLite journal. Goal p50 ≤ 50 ms. Run: .venv/bin/python -m benchmarks.order_bench
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from core.base.clock import LiveClock
from core.base.types import OrderSide
from execution.alpaca_broker import AlpacaBroker
from execution.order_manager import OrderIntent, OrderManager, client_order_id_for
from storage.database import close_database, open_database
from tests.fakes.alpaca_server import running_fake_alpaca

ORDERS = 200


def main() -> None:
    with running_fake_alpaca() as fake, tempfile.TemporaryDirectory() as folder:
        fake.set_price("PLTR", 25.0)
        open_database(Path(folder) / "bench.db")
        try:
            broker = AlpacaBroker(fake.api_key, fake.secret_key, base_url=fake.url)
            manager = OrderManager(broker, clock=LiveClock())
            manager.reconcile()
            to_broker, round_trip = [], []
            for i in range(ORDERS):
                began = time.perf_counter()
                manager.submit(
                    OrderIntent(
                        client_order_id=client_order_id_for(f"bench{i}"),
                        symbol="PLTR",
                        side=OrderSide.BUY,
                        quantity=1,
                    )
                )
                done = time.perf_counter()
                arrived = fake.requests_to("/v2/orders", method="POST")[-1].received
                to_broker.append((arrived - began) * 1000)
                round_trip.append((done - began) * 1000)
        finally:
            close_database()
    p50 = statistics.median(to_broker)
    print(f"orders                         {ORDERS}")
    print(
        f"approve → broker, p50          {p50:6.1f} ms  "
        f"(goal ≤ 50 ms: {'met' if p50 <= 50 else 'MISSED'})"
    )
    print(f"approve → broker, p95          {np.percentile(to_broker, 95):6.1f} ms")
    print(
        f"approve → filled and journaled {statistics.median(round_trip):6.1f} ms p50, "
        f"{np.percentile(round_trip, 95):.1f} ms p95"
    )


if __name__ == "__main__":
    main()
