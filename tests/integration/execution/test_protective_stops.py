"""Protective stops live at the broker (issue 14), against the fake Alpaca over real
HTTP: whatever path a fill takes, the position gets one GTC stop of the held quantity
at the planned risk from the actual fill; trailing replaces it in one step; exits free
its shares first; a stop that fills closes the book with reason `stop`."""

from __future__ import annotations

import pytest

from core.base.events import StopTriggered
from core.base.types import (
    ExitReason,
    OrderSide,
    OrderStatus,
)
from execution.order_manager import OrderIntent, client_order_id_for
from risk.trading_state import OrderPurpose
from storage import book, orders
from storage.orders import PROTECT
from tests.integration.execution.conftest import PRICE, STOP, planned_entry


def sell_signal_exit(signal_id: str = "sigX", qty: float = 10) -> OrderIntent:
    return OrderIntent(
        client_order_id=client_order_id_for(signal_id),
        symbol="PLTR",
        side=OrderSide.SELL,
        quantity=qty,
        purpose=OrderPurpose.REDUCE,
        reason=ExitReason.SIGNAL,
    )


def journal_stops() -> list:
    return orders.working(symbol="PLTR", purpose=PROTECT)


def test_a_fill_found_on_a_later_poll_gets_its_stop_at_the_broker(desk, fake) -> None:
    fake.state.fill_orders = False  # Alpaca answers "new"; the fill comes later
    outcome = desk.orders.submit(planned_entry())
    assert outcome.status is OrderStatus.SUBMITTED
    assert fake.working_stops("PLTR") == []
    fake.set_price("PLTR", 25.4)
    fake.fill_order(outcome.client_order_id)
    desk.orders.track()
    [stop] = fake.working_stops("PLTR")
    assert stop["side"] == "sell"
    assert stop["time_in_force"] == "gtc"
    assert float(stop["qty"]) == 10
    assert float(stop["stop_price"]) == pytest.approx(25.4 - (PRICE - STOP))
    assert book.open_position("PLTR").stop_price == pytest.approx(23.4)


def test_a_partial_fill_is_protected_and_the_stop_grows_with_the_fills(desk, fake) -> None:
    fake.state.fill_orders = False
    outcome = desk.orders.submit(planned_entry(qty=10))
    fake.fill_order(outcome.client_order_id, qty=4)
    desk.orders.track()
    [stop] = fake.working_stops("PLTR")
    assert float(stop["qty"]) == 4
    fake.fill_order(outcome.client_order_id, qty=6)
    desk.orders.track()
    [grown] = fake.working_stops("PLTR")
    assert float(grown["qty"]) == 10
    assert grown["replaces"] == stop["id"]
    assert [s["PLTR"] for s in fake.state.stop_history if "PLTR" in s][-3:] == [1, 1, 1]


def test_trailing_replaces_the_stop_never_leaving_none_or_two(desk, fake) -> None:
    desk.orders.submit(planned_entry())
    [first] = journal_stops()
    book.set_stops("PLTR", stop_price=24.0, trailing_stop=24.0, highest_price=28.0)
    desk.stops.ensure("PLTR")
    [raised] = fake.working_stops("PLTR")
    assert float(raised["stop_price"]) == 24.0
    assert raised["client_order_id"] == f"{first.client_order_id}-2"
    assert fake.orders()[1]["status"] == "replaced"
    counts = [s["PLTR"] for s in fake.state.stop_history if "PLTR" in s]
    assert counts[counts.index(1) :] == [1] * len(counts[counts.index(1) :]), counts
    assert journal_stops()[-1].reason == ExitReason.TRAILING_STOP.value


def test_a_failed_replace_keeps_the_old_stop_and_alerts(desk, fake, events) -> None:
    desk.orders.submit(planned_entry())
    fake.add_fault("422", path_prefix="/v2/orders/")
    book.set_stops("PLTR", stop_price=24.0, trailing_stop=24.0, highest_price=28.0)
    desk.stops.ensure("PLTR")
    [kept] = fake.working_stops("PLTR")
    assert float(kept["stop_price"]) == 23.0
    assert any(e.kind == "Alert" and "could not be moved" in e.message for e in events)


def test_a_sell_signal_frees_the_shares_first_and_sells_once(desk, fake) -> None:
    desk.orders.submit(planned_entry())
    outcome = desk.orders.submit(sell_signal_exit())
    assert outcome.status is OrderStatus.FILLED
    sells = [o for o in fake.orders() if o["side"] == "sell" and o["type"] == "market"]
    assert len(sells) == 1
    assert fake.working_stops("PLTR") == []
    assert all("insufficient qty" not in (row.error or "") for row in orders.recent())
    assert book.open_position("PLTR") is None
    assert fake.state.positions == {}


def test_if_the_stop_filled_first_the_exit_sells_nothing(desk, fake) -> None:
    desk.orders.submit(planned_entry())
    fake.set_price("PLTR", 22.0)  # the stop fills at the broker, unseen yet
    outcome = desk.orders.submit(sell_signal_exit())
    assert outcome.status is OrderStatus.CANCELLED
    assert "nothing held" in outcome.error
    assert [o for o in fake.orders() if o["type"] == "market" and o["side"] == "sell"] == []


def test_a_stop_filled_at_the_broker_closes_the_book_with_reason_stop(desk, fake, events) -> None:
    desk.orders.submit(planned_entry())
    fake.set_price("PLTR", 22.5)
    desk.orders.track()
    assert book.open_position("PLTR") is None
    closed = book.last_position("PLTR")
    assert closed.exit_reason == "stop"
    [triggered] = [e for e in events if isinstance(e, StopTriggered)]
    assert (triggered.symbol, triggered.reason, triggered.quantity) == ("PLTR", "stop", 10)


def test_reconciliation_places_a_missing_stop(desk, fake) -> None:
    desk.orders.submit(planned_entry())
    [stop] = fake.working_stops("PLTR")
    fake.state.orders[stop["id"]]["status"] = "canceled"  # cancelled in the dashboard
    assert desk.reconciler.run().ok
    [placed] = fake.working_stops("PLTR")
    assert float(placed["qty"]) == 10
    assert float(placed["stop_price"]) == float(stop["stop_price"])


def test_reconciliation_cancels_the_stop_of_a_position_sold_elsewhere(desk, fake) -> None:
    desk.orders.submit(planned_entry())
    fake.set_position("PLTR", 0, 0)  # sold in the Alpaca dashboard
    assert desk.reconciler.run().ok
    assert book.open_position("PLTR") is None
    assert fake.working_stops("PLTR") == []
    assert journal_stops() == []
