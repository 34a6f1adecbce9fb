"""Each test ends with exactly one broker order per intent and nothing lost (DESIGN §5)."""

from __future__ import annotations

import threading
import time

import pytest

from core.base.events import Alert, TradingStateChanged
from core.base.types import OrderSide, OrderStatus, TradingState, TradingStatus
from execution.broker import BrokerUnavailable, OrderRequest
from execution.order_manager import OrderIntent, client_order_id_for
from risk.trading_state import OrderPurpose
from storage import book, orders
from storage.bot_state import load_trading_status
from storage.orders import IntentFields
from tests.integration.execution.conftest import NOW, alpaca_broker, desk_for


def halt(desk, actor: str = "telegram:1") -> None:
    desk.trading_state.change(
        lambda current: TradingStatus(
            state=TradingState.HALTED, changed_by=actor, reason="kill stop", changed_at=NOW
        )
    )


def intent(signal: str = "sig1", qty: float = 10, symbol: str = "PLTR") -> OrderIntent:
    return OrderIntent(
        client_order_id=client_order_id_for(signal), symbol=symbol, side=OrderSide.BUY, quantity=qty
    )


def broker_orders_for(fake, client_id: str) -> list[dict]:
    return [o for o in fake.orders() if o["client_order_id"] == client_id]


def test_plain_submit_fills_and_moves_the_book(manager, fake, events) -> None:
    outcome = manager.submit(intent())
    assert outcome.status is OrderStatus.FILLED
    assert outcome.filled_quantity == 10
    assert len(fake.orders()) == 1
    assert book.open_position("PLTR").quantity == 10
    assert [e.kind for e in events] == ["OrderSubmitted", "OrderFilled"]


def test_same_intent_twice_is_one_order(manager, fake) -> None:
    first = manager.submit(intent())
    second = manager.submit(intent())
    assert first.broker_order_id == second.broker_order_id
    assert len(fake.orders()) == 1


def test_timeout_after_the_broker_accepted_adopts_the_order(manager, fake) -> None:
    fake.add_fault("slow", path_prefix="/v2/orders", delay=1.0)
    outcome = manager.submit(intent())
    assert len(broker_orders_for(fake, outcome.client_order_id)) == 1
    assert len(fake.orders()) == 1
    assert outcome.status is OrderStatus.FILLED
    assert outcome.broker_order_id == fake.orders()[0]["id"]


def test_504_then_422_on_retry_adopts_instead_of_duplicating(manager, fake) -> None:
    fake.add_fault("504+", path_prefix="/v2/orders")  # created, then a gateway error
    fake.add_fault("404", path_prefix="/v2/orders:by_client_order_id")  # not visible yet
    outcome = manager.submit(intent())
    posts = fake.requests_to("/v2/orders", method="POST")
    assert len(posts) == 2  # the resubmission with the same id was refused (422)
    assert {p.body["client_order_id"] for p in posts} == {outcome.client_order_id}
    assert len(fake.orders()) == 1
    assert outcome.status is OrderStatus.FILLED


def test_death_after_writing_the_intent_sends_it_on_restart(database, fake) -> None:
    orders.write_intent(
        IntentFields("sb-sigA-entry", "PLTR", OrderSide.BUY, 3, purpose=OrderPurpose.OPEN), NOW
    )
    report = desk_for(fake).reconciler.run()
    assert report.resubmitted == ["sb-sigA-entry"]
    assert len(fake.orders()) == 1
    assert orders.get_by_client_id("sb-sigA-entry").status == OrderStatus.FILLED.value
    assert book.open_position("PLTR").quantity == 3


def test_death_after_submitting_before_recording_adopts_on_restart(database, fake) -> None:
    orders.write_intent(
        IntentFields("sb-sigB-entry", "PLTR", OrderSide.BUY, 4, purpose=OrderPurpose.OPEN), NOW
    )
    alpaca_broker(fake).submit_order(
        OrderRequest(client_order_id="sb-sigB-entry", symbol="PLTR", side=OrderSide.BUY, quantity=4)
    )
    report = desk_for(fake).reconciler.run()
    assert report.settled == ["sb-sigB-entry"]
    assert report.resubmitted == []
    assert len(fake.orders()) == 1
    row = orders.get_by_client_id("sb-sigB-entry")
    assert (row.status, row.filled_quantity) == (OrderStatus.FILLED.value, 4)


def test_kill_switch_while_a_submit_is_in_flight(desk, manager, fake) -> None:
    fake.state.fill_orders = False
    fake.add_fault("slow", path_prefix="/v2/orders", delay=0.6)
    slow_manager = desk_for(fake, timeout=3.0).orders
    slow_manager.healthy = True
    results = []
    thread = threading.Thread(target=lambda: results.append(slow_manager.submit(intent())))
    thread.start()
    deadline = time.monotonic() + 2
    while not fake.orders() and time.monotonic() < deadline:
        time.sleep(0.01)
    halt(desk)
    thread.join()
    manager.cancel_working(purposes=(OrderPurpose.OPEN,))
    manager.track()
    assert len(fake.orders()) == 1
    assert fake.orders()[0]["status"] == "canceled"
    assert orders.get_by_client_id(results[0].client_order_id).status == OrderStatus.CANCELLED.value
    blocked = manager.submit(intent("sig2"))
    assert blocked.status is OrderStatus.FAILED
    assert "HALTED" in blocked.error
    assert len(fake.orders()) == 1


def test_wrong_keys_halt_trading_and_alert(database, fake, events) -> None:
    manager = desk_for(fake, events=events, key="wrong").orders
    manager.healthy = True
    outcome = manager.submit(intent())
    assert outcome.status is OrderStatus.FAILED
    assert "refused the keys" in outcome.error
    assert load_trading_status().state is TradingState.HALTED
    assert any(isinstance(e, TradingStateChanged) for e in events)
    assert any(isinstance(e, Alert) and e.severity == "critical" for e in events)
    assert fake.orders() == []


def test_a_429_storm_backs_off_and_recovers(manager, fake) -> None:
    fake.add_fault("429", times=6)
    outcome = manager.submit(intent())
    assert outcome.status is OrderStatus.FILLED
    assert len(fake.orders()) == 1


def test_malformed_json_on_submit_is_resolved_and_on_reads_is_explained(manager, fake) -> None:
    fake.add_fault("malformed", path_prefix="/v2/orders")
    outcome = manager.submit(intent())
    assert outcome.status is OrderStatus.FILLED
    assert len(fake.orders()) == 1
    fake.add_fault("malformed", path_prefix="/v2/account", times=10)
    with pytest.raises(BrokerUnavailable, match="unreadable answer to account"):
        manager.broker.get_account()


def test_reconciliation_adopts_an_external_order_and_corrects_the_book(
    desk, manager, fake, events
) -> None:
    manager.submit(intent(qty=10))
    fake.add_external_order("KO", 5)
    fake.set_position("PLTR", 7, 25.0)  # someone sold 3 PLTR in the Alpaca dashboard
    report = desk.reconciler.run()
    assert report.ok
    assert report.adopted == ["manual-1"]
    adopted = orders.get_by_client_id("manual-1")
    assert adopted.external
    assert book.open_position("KO").quantity == 5
    assert book.open_position("PLTR").quantity == 7
    assert any("corrected to the broker's 7" in c for c in report.corrections)
    assert isinstance(events[-1], Alert)


def test_failed_reconciliation_blocks_new_orders_until_it_succeeds(
    desk, manager, fake, events
) -> None:
    fake.add_fault("503", times=100)
    report = desk.reconciler.run()
    assert not report.ok
    assert not manager.healthy
    fake.state.faults.clear()
    blocked = manager.submit(intent())
    assert blocked.status is OrderStatus.FAILED
    assert "reconciliation with the broker failed" in blocked.error
    assert fake.orders() == []
    assert desk.reconciler.run().ok
    assert manager.submit(intent("sig2")).status is OrderStatus.FILLED
