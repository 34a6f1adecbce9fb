"""The order desk: every part that puts orders at the broker or keeps them honest,
built together because they share one lock, one journal and one trading state."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from core.base.clock import Clock
from core.base.events import Event
from execution.broker import Broker
from execution.flatten import Flattener
from execution.order_manager import OrderManager
from execution.protection import ProtectiveStops
from execution.reconciliation import Reconciler
from execution.trading_state import TradingStateKeeper
from storage.port import Store


@dataclass
class OrderDesk:
    orders: OrderManager
    stops: ProtectiveStops
    reconciler: Reconciler
    flattener: Flattener
    trading_state: TradingStateKeeper


def open_desk(
    broker: Broker,
    *,
    store: Store,
    clock: Clock,
    publish: Callable[[Event], None] = lambda event: None,
    sleep: Callable[[float], None] = time.sleep,
) -> OrderDesk:
    trading_state = TradingStateKeeper(store.state, publish)
    orders = OrderManager(
        broker,
        store=store,
        clock=clock,
        publish=publish,
        trading_state=trading_state,
        sleep=sleep,
    )
    stops = ProtectiveStops(orders)
    return OrderDesk(
        orders=orders,
        stops=stops,
        reconciler=Reconciler(orders, stops),
        flattener=Flattener(orders, sleep=sleep),
        trading_state=trading_state,
    )
