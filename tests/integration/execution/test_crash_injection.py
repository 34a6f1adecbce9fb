"""A subprocess submits a burst of planned entries and is killed at a random moment —
between an intent and its send, a send and its record, a fill and its protective stop,
a stop and its resize; after a restart and reconciliation every order at the broker is
journaled once, nothing was sent twice, and the position has exactly one working stop
of the held quantity."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.base.clock import LiveClock
from core.base.types import OrderStatus
from execution.desk import open_desk
from storage import book, orders
from storage.database import close_database, open_database
from storage.sqlite_store import SqliteStore
from tests.fakes.alpaca_server import FakeAlpacaServer
from tests.integration.execution.conftest import alpaca_broker

ROOT = Path(__file__).resolve().parents[3]
BURST = 25


@pytest.mark.parametrize("seed", range(20))
def test_killed_mid_burst_then_reconciled(
    seed: int, tmp_path: Path, fake_alpaca: FakeAlpacaServer
) -> None:
    fake_alpaca.set_price("PLTR", 25.0)
    fake_alpaca.state.latency = 0.01  # a burst takes ~0.3 s: kills land all over it
    database = tmp_path / "crash.db"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.burst_submitter",
            str(database),
            fake_alpaca.url,
            str(BURST),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout.readline().strip() == "ready", process.stderr.read()
    time.sleep(random.Random(seed).uniform(0.0, 0.35))
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)

    open_database(database)
    try:
        desk = open_desk(
            alpaca_broker(fake_alpaca, timeout=2.0), store=SqliteStore(), clock=LiveClock()
        )
        report = desk.reconciler.run()
        assert report.ok
        journal = {o.client_order_id: o for o in orders.recent(limit=1000)}
        at_broker = [o["client_order_id"] for o in fake_alpaca.orders()]
        assert len(at_broker) == len(set(at_broker)), "a duplicate order reached the broker"
        assert set(at_broker) <= set(journal), "an order at the broker is not journaled"
        sent = {cid for cid, o in journal.items() if o.broker_order_id is not None}
        assert sent == set(at_broker), "journal and broker disagree"
        entries = [o for o in journal.values() if o.purpose == "open"]
        unsent = {o.client_order_id for o in report.awaiting_recheck}
        assert all(
            o.status == OrderStatus.FILLED.value for o in entries if o.client_order_id in sent
        )
        assert {o.client_order_id for o in entries if o.client_order_id not in sent} == unsent
        held = fake_alpaca.state.positions.get("PLTR", {}).get("qty", 0)
        stops = fake_alpaca.working_stops("PLTR")
        assert len(stops) == (1 if held else 0), "not exactly one working stop"
        if held:
            assert float(stops[0]["qty"]) == held
            assert book.open_position("PLTR").quantity == held
    finally:
        close_database()
