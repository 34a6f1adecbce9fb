from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from core.base.calendar import get_calendar
from core.base.clock import SimulatedClock
from core.base.types import OrderSide, OrderStatus, OrderType
from core.data.bars import SessionBar
from execution.broker import (
    InsufficientBuyingPower,
    InsufficientQuantity,
    OrderRejected,
    OrderRequest,
    ReplaceRequest,
    UnknownSymbol,
)
from execution.paper import PaperBroker
from storage.database import close_database, open_database
from storage.memory_store import MemoryStore
from storage.port import Store
from storage.sqlite_store import SqliteStore

OPEN = datetime(2024, 7, 5, 15, 0, tzinfo=UTC)  # a Friday session, market open
CLOSED = datetime(2024, 7, 6, 15, 0, tzinfo=UTC)  # Saturday


class FixedPrices:
    """Market data at fixed prices: fills must be predictable to the cent."""

    name = "fixed"

    def __init__(self, prices: dict[str, float]) -> None:
        self.prices = prices

    def get_bars(self, symbols, start, end, timeframe=None):
        return {s: pd.DataFrame() for s in symbols}

    def latest_prices(self, symbols):
        return {s: self.prices[s] for s in symbols if s in self.prices}


def paper(
    store: Store, prices: dict[str, float], now: datetime = OPEN, **kwargs: object
) -> PaperBroker:
    options: dict[str, object] = {
        "starting_cash": 10_000.0,
        "slippage_bps": 10.0,
        "commission_per_share": 0.01,
        "books": store.paper,
    }
    options.update(kwargs)
    return PaperBroker(  # type: ignore[arg-type]
        market=FixedPrices(prices), clock=SimulatedClock(now), calendar=get_calendar(), **options
    )


def buy(qty: float, symbol: str = "PLTR", cid: str = "b1", **kwargs) -> OrderRequest:
    return OrderRequest(
        client_order_id=cid, symbol=symbol, side=OrderSide.BUY, quantity=qty, **kwargs
    )


def sell(qty: float, symbol: str = "PLTR", cid: str = "s1", **kwargs) -> OrderRequest:
    return OrderRequest(
        client_order_id=cid, symbol=symbol, side=OrderSide.SELL, quantity=qty, **kwargs
    )


def test_market_order_fills_with_slippage_and_commission(store) -> None:
    broker = paper(store, {"PLTR": 20.0})
    order = broker.submit_order(buy(100))
    assert order.status is OrderStatus.FILLED
    assert order.filled_avg_price == pytest.approx(20.02)  # 10 bps against the buyer
    assert order.commission == pytest.approx(1.0)
    account = broker.get_account()
    assert account.cash == pytest.approx(10_000 - 100 * 20.02 - 1.0)
    [position] = broker.get_positions()
    assert (position.quantity, position.avg_entry_price) == (100, pytest.approx(20.02))
    sold = broker.submit_order(sell(100))
    assert sold.filled_avg_price == pytest.approx(19.98)
    assert broker.get_account().cash == pytest.approx(10_000 - 2002 - 1 + 1998 - 1)
    assert broker.get_positions() == []


def test_closed_market_waits_for_the_next_price(store) -> None:
    clock = SimulatedClock(CLOSED)
    broker = PaperBroker(
        books=store.paper,
        market=FixedPrices({"PLTR": 20.0}),
        clock=clock,
        calendar=get_calendar(),
        slippage_bps=0,
    )
    order = broker.submit_order(buy(10))
    assert order.status is OrderStatus.SUBMITTED
    assert broker.process_open_orders() == 0
    clock.set(datetime(2024, 7, 8, 13, 31, tzinfo=UTC))  # Monday's open
    assert broker.process_open_orders() == 1
    assert broker.get_order(order.broker_order_id).status is OrderStatus.FILLED


BAR = pd.Series({"open": 21.0, "high": 22.0, "low": 19.0, "close": 20.5})
GAP_DOWN = pd.Series({"open": 17.0, "high": 17.5, "low": 16.0, "close": 16.5})
NEXT_OPEN = datetime(2024, 7, 8, 13, 30, tzinfo=UTC)  # Monday's open


class ScriptedBars:
    """The replayed exchange's view of the session in progress: one bar the test sets."""

    def __init__(self) -> None:
        self.bar: SessionBar | None = None

    def show(self, bar: pd.Series, opens_at: datetime) -> None:
        self.bar = SessionBar(opens_at, bar["open"], bar["high"], bar["low"], bar["close"])

    def session_bar(self, symbol: str, at: datetime) -> SessionBar | None:
        return self.bar


@pytest.mark.parametrize(
    ("request_", "bar", "expected"),
    [
        (buy(10, order_type=OrderType.MARKET), BAR, 21.0),  # the next bar's open
        (buy(10, order_type=OrderType.LIMIT, limit_price=19.5), BAR, 19.5),  # low touched
        (buy(10, order_type=OrderType.LIMIT, limit_price=18.5), BAR, None),  # never reached
        (buy(10, order_type=OrderType.LIMIT, limit_price=19.5), GAP_DOWN, 17.0),  # gap: open
        (sell(10, order_type=OrderType.STOP, stop_price=19.5), BAR, 19.5),  # stop hit intraday
        (sell(10, order_type=OrderType.STOP, stop_price=19.5), GAP_DOWN, 17.0),  # gap through
        (sell(10, order_type=OrderType.LIMIT, limit_price=21.5), BAR, 21.5),  # high touched
    ],
)
def test_replay_fills_against_the_bar(
    store, request_: OrderRequest, bar: pd.Series, expected: float | None
) -> None:
    bars = ScriptedBars()
    clock = SimulatedClock(OPEN)
    broker = PaperBroker(
        books=store.paper,
        market=FixedPrices({"PLTR": 20.0}),
        clock=clock,
        calendar=get_calendar(),
        slippage_bps=0,
        session_bars=bars,
    )
    if request_.side is OrderSide.SELL:
        broker.submit_order(buy(10, cid="setup"))
        bars.show(pd.Series({"open": 20.0, "high": 20.0, "low": 20.0, "close": 20.0}), OPEN)
        broker.process_open_orders()
    order = broker.submit_order(request_)
    assert order.status is OrderStatus.SUBMITTED
    clock.set(NEXT_OPEN)
    bars.show(bar, NEXT_OPEN)
    broker.process_open_orders()
    after = broker.get_order(order.broker_order_id)
    if expected is None:
        assert after.status is OrderStatus.SUBMITTED
    else:
        assert after.status is OrderStatus.FILLED
        assert after.filled_avg_price == pytest.approx(expected)


def test_an_order_placed_during_a_session_waits_for_the_next_bar(store) -> None:
    """Decided on a close, filled at the next open: never against the bar it saw."""
    bars = ScriptedBars()
    clock = SimulatedClock(datetime(2024, 7, 5, 20, 0, tzinfo=UTC))  # Friday's close
    broker = PaperBroker(
        books=store.paper,
        market=FixedPrices({"PLTR": 20.0}),
        clock=clock,
        calendar=get_calendar(),
        session_bars=bars,
    )
    bars.show(BAR, OPEN)  # Friday's bar, opened before the order was placed
    order = broker.submit_order(buy(10))
    broker.process_open_orders()
    assert broker.get_order(order.broker_order_id).status is OrderStatus.SUBMITTED
    clock.set(NEXT_OPEN)
    bars.show(BAR, NEXT_OPEN)
    broker.process_open_orders()
    assert broker.get_order(order.broker_order_id).status is OrderStatus.FILLED


def test_a_resting_stop_holds_its_shares(store) -> None:
    """Like Alpaca: a sell while a protective stop holds the shares is refused as
    "insufficient qty", not as a lack of buying power."""
    broker = paper(store, {"PLTR": 20.0})
    broker.submit_order(buy(10, cid="entry"))
    broker.submit_order(
        sell(10, cid="stop", order_type=OrderType.STOP, stop_price=18.0, time_in_force="gtc")
    )
    with pytest.raises(InsufficientQuantity, match="insufficient qty available"):
        broker.submit_order(sell(10, cid="exit"))


def test_replace_moves_a_stop_in_one_step(store) -> None:
    broker = paper(store, {"PLTR": 20.0})
    broker.submit_order(buy(10, cid="entry"))
    stop = broker.submit_order(
        sell(10, cid="stop", order_type=OrderType.STOP, stop_price=18.0, time_in_force="gtc")
    )
    moved = broker.replace_order(
        stop.broker_order_id, ReplaceRequest(client_order_id="stop-2", quantity=10, stop_price=19.0)
    )
    assert moved.stop_price == 19.0
    assert broker.get_order(stop.broker_order_id).status is OrderStatus.CANCELLED
    assert [o.client_order_id for o in broker.list_orders("open")] == ["stop-2"]


def test_sub_penny_stop_prices_are_refused(store) -> None:
    broker = paper(store, {"PLTR": 20.0})
    broker.submit_order(buy(10, cid="entry"))
    with pytest.raises(OrderRejected, match="sub-penny"):
        broker.submit_order(sell(10, order_type=OrderType.STOP, stop_price=18.005))


def test_cash_never_goes_negative(store) -> None:
    broker = paper(store, {"PLTR": 20.0}, starting_cash=1_000.0)
    with pytest.raises(InsufficientBuyingPower, match=r"cash is \$1,000\.00"):
        broker.submit_order(buy(60))
    broker.submit_order(buy(49))
    assert broker.get_account().cash >= 0
    with pytest.raises(InsufficientBuyingPower):
        broker.submit_order(buy(2, cid="b2"))


def test_a_pending_buy_that_no_longer_fits_is_rejected_at_fill(store) -> None:
    market = FixedPrices({"PLTR": 20.0})
    clock = SimulatedClock(CLOSED)
    broker = PaperBroker(
        books=store.paper,
        market=market,
        clock=clock,
        calendar=get_calendar(),
        starting_cash=1_000.0,
        slippage_bps=0,
    )
    order = broker.submit_order(buy(45))  # $900 at $20
    market.prices["PLTR"] = 30.0  # the price jumps before the open
    clock.set(datetime(2024, 7, 8, 14, 0, tzinfo=UTC))
    broker.process_open_orders()
    after = broker.get_order(order.broker_order_id)
    assert after.status is OrderStatus.FAILED
    assert "below the fill cost" in after.reject_reason
    assert broker.get_account().cash == pytest.approx(1_000.0)


def test_no_short_selling_and_unknown_symbols(store) -> None:
    broker = paper(store, {"PLTR": 20.0})
    with pytest.raises(OrderRejected, match="only 0 held"):
        broker.submit_order(sell(1))
    with pytest.raises(UnknownSymbol, match="ZZZZ"):
        broker.submit_order(buy(1, symbol="ZZZZ"))


def test_state_survives_reopening_the_database(tmp_path: Path) -> None:
    path = tmp_path / "paper.db"
    open_database(path)
    broker = paper(SqliteStore(), {"PLTR": 20.0}, slippage_bps=0, commission_per_share=0)
    broker.submit_order(buy(10))
    pending = broker.submit_order(buy(5, cid="b2", order_type=OrderType.LIMIT, limit_price=15.0))
    close_database()
    open_database(path)
    try:
        reopened = paper(SqliteStore(), {"PLTR": 20.0}, slippage_bps=0, commission_per_share=0)
        assert reopened.get_account().cash == pytest.approx(9_800.0)
        assert [p.quantity for p in reopened.get_positions()] == [10]
        assert reopened.get_order_by_client_id("b2").status is OrderStatus.SUBMITTED
        assert [o.broker_order_id for o in reopened.list_orders("open")] == [
            pending.broker_order_id
        ]
    finally:
        close_database()


def test_cancel_and_close(store) -> None:
    broker = paper(store, {"PLTR": 20.0, "KO": 60.0})
    broker.submit_order(buy(10))
    broker.submit_order(buy(5, symbol="KO", cid="k1"))
    limit = broker.submit_order(buy(1, cid="l1", order_type=OrderType.LIMIT, limit_price=1.0))
    broker.cancel_all()
    assert broker.get_order(limit.broker_order_id).status is OrderStatus.CANCELLED
    closed = broker.close_all()
    assert {o.symbol for o in closed} == {"PLTR", "KO"}
    assert broker.get_positions() == []


def test_same_orders_same_results(tmp_path: Path) -> None:
    """Deterministic: two fresh exchanges given the same orders end identically — the
    SQLite books and the memory books alike."""
    results = []
    for run, store in enumerate((SqliteStore(), MemoryStore(), SqliteStore())):
        open_database(tmp_path / f"run{run}.db")
        try:
            broker = paper(store, {"PLTR": 20.0, "KO": 60.0})
            placed = [
                broker.submit_order(buy(10)),
                broker.submit_order(buy(3, "KO", "k1")),
                broker.submit_order(sell(4)),
            ]
            results.append(
                (
                    [(o.broker_order_id, o.filled_avg_price) for o in placed],
                    broker.get_account().cash,
                )
            )
        finally:
            close_database()
    assert results[0] == results[1] == results[2]
