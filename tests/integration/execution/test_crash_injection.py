"""A subprocess submits a burst of intents and is killed at a random moment; after a
restart and reconciliation the broker holds exactly the journal's intents, one each."""

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
from storage import orders
from storage.database import close_database, open_database
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
        desk = open_desk(alpaca_broker(fake_alpaca, timeout=2.0), clock=LiveClock())
        assert desk.reconciler.run().ok
        journal = {o.client_order_id: o for o in orders.recent(limit=1000)}
        at_broker = [o["client_order_id"] for o in fake_alpaca.orders()]
        assert len(at_broker) == len(set(at_broker)), "a duplicate order reached the broker"
        assert set(at_broker) == set(journal), "journal and broker disagree"
        assert all(o.status == OrderStatus.FILLED.value for o in journal.values())
    finally:
        close_database()
