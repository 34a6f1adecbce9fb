from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.base.clock import SimulatedClock
from core.base.events import Event
from execution.alpaca_broker import AlpacaBroker
from execution.order_manager import OrderManager
from tests.fakes.alpaca_server import FakeAlpacaServer

NOW = datetime(2024, 7, 5, 15, 0, tzinfo=UTC)


def no_sleep(seconds: float) -> None:
    """Backoff delays are asserted elsewhere; here they would only slow the tests."""


def alpaca_broker(
    fake: FakeAlpacaServer, *, timeout: float = 0.5, key: str | None = None
) -> AlpacaBroker:
    return AlpacaBroker(
        key or fake.api_key, fake.secret_key, base_url=fake.url, timeout=timeout, sleep=no_sleep
    )


@pytest.fixture
def fake(fake_alpaca: FakeAlpacaServer) -> FakeAlpacaServer:
    fake_alpaca.set_price("PLTR", 25.0)
    fake_alpaca.set_price("KO", 60.0)
    return fake_alpaca


@pytest.fixture
def events() -> list[Event]:
    return []


@pytest.fixture
def manager(database, fake: FakeAlpacaServer, events: list[Event]) -> OrderManager:
    om = OrderManager(
        alpaca_broker(fake), clock=SimulatedClock(NOW), publish=events.append, sleep=no_sleep
    )
    assert om.reconcile().ok
    return om
