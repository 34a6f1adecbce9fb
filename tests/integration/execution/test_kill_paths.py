"""A kill that always kills (issue 15), against the fake Alpaca over real HTTP: no order
leaves the process after HALTED is committed, not even the resend of a request whose
outcome was unknown; a flatten closes what fills while it runs."""

from __future__ import annotations

import threading
import time

from core.base.types import OrderSide, OrderStatus, TradingState, TradingStatus
from execution.order_manager import OrderIntent, client_order_id_for
from risk.trading_state import OrderPurpose
from storage import flatten_jobs, orders
from tests.integration.execution.conftest import NOW, desk_for, planned_entry


def entry(signal: str = "sig1", qty: float = 10) -> OrderIntent:
    return OrderIntent(
        client_order_id=client_order_id_for(signal), symbol="PLTR", side=OrderSide.BUY, quantity=qty
    )


def halt(desk) -> None:  # type: ignore[no-untyped-def]
    desk.trading_state.change(
        lambda current: TradingStatus(
            state=TradingState.HALTED, changed_by="telegram:1", reason="kill stop", changed_at=NOW
        )
    )


def test_a_kill_while_a_submit_outcome_is_unknown_stops_the_resend(desk, fake) -> None:
    """The first request is lost in the network; while the client waits, a person's
    kill is committed. The resend with the same id would reach the broker after HALTED:
    it must not be sent."""
    fake.add_fault("lost", path_prefix="/v2/orders", delay=0.4)
    sender = desk_for(fake, timeout=2.0).orders
    sender.healthy = True
    results = []
    thread = threading.Thread(target=lambda: results.append(sender.submit(entry())))
    thread.start()
    deadline = time.monotonic() + 2
    while not fake.requests_to("/v2/orders", method="POST") and time.monotonic() < deadline:
        time.sleep(0.01)
    halt(desk)
    committed = time.perf_counter()
    thread.join()
    posts = fake.requests_to("/v2/orders", method="POST")
    assert [p.received < committed for p in posts] == [True], "a resend after HALTED"
    assert fake.orders() == []
    row = orders.get_by_client_id(results[0].client_order_id)
    assert row.status == OrderStatus.SUBMITTED.value, "outcome still unknown: kept looking up"
    assert "not resent" in row.error
    assert "HALTED" in row.error


def test_a_buy_that_fills_after_the_flatten_began_ends_flat(desk, fake, events) -> None:
    desk.orders.submit(planned_entry("held", qty=5))  # a position with its stop
    assert len(fake.working_stops("PLTR")) == 1
    fake.state.fill_orders = False
    working = desk.orders.submit(planned_entry("late", qty=7))  # accepted, not filled yet
    assert working.status is OrderStatus.SUBMITTED
    fake.state.fill_orders = True
    fake.state.fill_on_cancel = True  # the flatten's cancel comes too late: it fills
    desk.flattener.start("telegram:1", origin="chat:1")
    assert fake.state.positions == {}
    assert [o for o in fake.orders() if o["status"] in ("new", "accepted")] == []
    assert desk.trading_state.state() is TradingState.HALTED
    assert [job.status for job in flatten_jobs.recent()] == ["done"]
    assert any(e.kind == "Alert" and "complete" in e.message for e in events)
    sells = [o for o in fake.orders() if o["side"] == "sell" and o["type"] == "market"]
    assert sum(float(o["filled_qty"]) for o in sells) == 12


def test_kill_stop_keeps_protective_stops_and_cancels_entries(desk, fake) -> None:
    desk.orders.submit(planned_entry("held", qty=5))
    fake.state.fill_orders = False
    desk.orders.submit(planned_entry("late", qty=7))
    halt(desk)
    desk.orders.cancel_working(purposes=(OrderPurpose.OPEN,))
    assert [o["client_order_id"] for o in fake.orders() if o["status"] == "canceled"] == [
        client_order_id_for("late")
    ]
    assert len(fake.working_stops("PLTR")) == 1


def test_a_market_on_open_order_waits_for_the_open_at_alpaca(desk, fake) -> None:
    """An approval after the close goes out with time in force `opg` and fills when the
    session opens, with its protective stop placed then."""
    fake.state.market_open = False
    intent = planned_entry("evening")
    outcome = desk.orders.submit(
        OrderIntent(
            client_order_id=intent.client_order_id,
            symbol=intent.symbol,
            side=intent.side,
            quantity=intent.quantity,
            time_in_force="opg",
            signal_id=intent.signal_id,
        )
    )
    assert outcome.status is OrderStatus.SUBMITTED
    [sent] = fake.requests_to("/v2/orders", method="POST")
    assert sent.body["time_in_force"] == "opg"
    fake.open_market()
    desk.orders.track()
    assert orders.get_by_client_id(intent.client_order_id).status == OrderStatus.FILLED.value
    assert len(fake.working_stops("PLTR")) == 1
