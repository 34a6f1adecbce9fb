from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.base.clock import SimulatedClock
from core.base.events import Event
from core.base.types import (
    ExitReason,
    OrderSide,
    OrderStatus,
    SignalType,
    TradingMode,
    TradingSignal,
)
from execution.alpaca_broker import AlpacaBroker
from execution.desk import OrderDesk, open_desk
from execution.order_manager import OrderIntent, OrderManager, client_order_id_for
from storage.signals import save_signal
from storage.sqlite_store import SqliteStore
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


def desk_for(
    fake: FakeAlpacaServer, *, events: list[Event] | None = None, **broker: object
) -> OrderDesk:
    """The order desk over the fake Alpaca, as the agent builds it."""
    return open_desk(
        alpaca_broker(fake, **broker),  # type: ignore[arg-type]
        store=SqliteStore(),
        clock=SimulatedClock(NOW),
        publish=events.append if events is not None else lambda event: None,
        sleep=no_sleep,
    )


@pytest.fixture
def desk(database, fake: FakeAlpacaServer, events: list[Event]) -> OrderDesk:
    desk = desk_for(fake, events=events)
    assert desk.reconciler.run().ok
    return desk


@pytest.fixture
def manager(desk: OrderDesk) -> OrderManager:
    return desk.orders


PRICE, STOP = 25.0, 23.0  # the signal's plan: $2 of risk per share


def planned_entry(signal_id: str = "sigA", qty: float = 10, symbol: str = "PLTR") -> OrderIntent:
    """An approved BUY signal with its plan, and the entry intent it becomes."""
    save_signal(
        TradingSignal(
            id=signal_id,
            symbol=symbol,
            signal_type=SignalType.BUY,
            confidence=0.7,
            price=PRICE,
            quantity=int(qty),
            stop_price=STOP,
            mode=TradingMode.MANUAL,
            status=OrderStatus.APPROVED,
            created_at=NOW,
            expires_at=NOW + timedelta(minutes=15),
        )
    )
    return OrderIntent(
        client_order_id=client_order_id_for(signal_id),
        symbol=symbol,
        side=OrderSide.BUY,
        quantity=qty,
        reason=ExitReason.SIGNAL,
        signal_id=signal_id,
    )
