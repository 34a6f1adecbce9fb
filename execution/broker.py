"""The Broker protocol: what the order manager needs from any broker.

| method | returns | must |
|---|---|---|
| `get_account()` | `BrokerAccount` | report cash, equity, buying power |
| `get_positions()` | `list[BrokerPosition]` | report every open position |
| `submit_order(request)` | `BrokerOrder` | send once, never retry by itself; raise |
| | | `OutcomeUnknown` when it cannot tell if the broker took it |
| `get_order(broker_order_id)` | `BrokerOrder` | raise `OrderNotFound` if unknown |
| `get_order_by_client_id(id)` | `BrokerOrder` or None | None when there is no such order |
| `list_orders(status, since)` | `list[BrokerOrder]` | status is "open", "closed" or "all" |
| `cancel_order(broker_order_id)` | None | idempotent: a final order is no error; |
| | | the cancel is confirmed by reading the order until it is final |
| `replace_order(broker_order_id, change)` | `BrokerOrder` | a new order (new ids) in one |
| | | step, the old one ends as cancelled: a stop is never missing or doubled |
| `cancel_all()` | None | cancel every open order |
| `close_position(symbol)` | `BrokerOrder` or None | flatten the symbol; None when flat |
| `close_all()` | `list[BrokerOrder]` | flatten everything |
| `get_clock()` | `MarketClock` | market open now, next open and close |
| `process_open_orders()` | int (fills made) | let the exchange work resting orders now: a |
| | | no-op where a real exchange does that itself (Alpaca); the paper |
| | | exchange fills what the prices reached |

All methods block (HTTP or SQLite); callers on the event loop use a thread. Errors are
the `BrokerError` family below; each says how the system reacts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

from pydantic import AwareDatetime, Field

from core.base.types import (
    CLIENT_ORDER_ID_MAX_LENGTH,
    OrderSide,
    OrderStatus,
    OrderType,
    PositivePrice,
    PositiveQuantity,
    Record,
    Symbol,
)

TimeInForce = Literal["day", "gtc", "opg"]
"""day; gtc (protective stops); opg: market-on-open, sent before the open."""


class OrderRequest(Record):
    """What to send. The client order id makes the submission idempotent at the broker."""

    client_order_id: str = Field(min_length=1, max_length=CLIENT_ORDER_ID_MAX_LENGTH)
    symbol: Symbol
    side: OrderSide
    quantity: PositiveQuantity
    order_type: OrderType = OrderType.MARKET
    limit_price: PositivePrice | None = None
    stop_price: PositivePrice | None = None
    time_in_force: TimeInForce = "day"
    """Protective stops are good-till-cancelled; an order for the open is `opg`;
    everything else lives for the day."""
    extended_hours: bool = False
    """A limit order that may fill before the open or after the close (Alpaca's rule:
    limit orders only, day time in force)."""


class BrokerOrder(Record):
    """The broker's view of an order."""

    broker_order_id: str
    client_order_id: str
    symbol: str
    side: OrderSide
    quantity: float
    order_type: OrderType
    status: OrderStatus
    filled_quantity: float = 0.0
    filled_avg_price: float | None = None
    limit_price: float | None = None
    stop_price: float | None = None
    submitted_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    reject_reason: str | None = None
    commission: float = 0.0
    """Total commission charged so far (Alpaca charges none on US stocks)."""


class BrokerPosition(Record):
    symbol: str
    quantity: float
    avg_entry_price: float
    current_price: float | None = None
    market_value: float | None = None


class BrokerAccount(Record):
    cash: float
    equity: float
    buying_power: float
    currency: str = "USD"
    multiplier: float = 1.0
    """Alpaca's buying-power multiplier: 1 is a cash account (no margin), whose sale
    proceeds settle the next session and must not buy before then."""

    @property
    def is_cash_account(self) -> bool:
        return self.multiplier <= 1.0


class ReplaceRequest(Record):
    """A change to a resting order, sent as one replace: the new order's client order id
    (journaled first, like every intent), quantity and stop price."""

    client_order_id: str = Field(min_length=1, max_length=CLIENT_ORDER_ID_MAX_LENGTH)
    quantity: PositiveQuantity
    stop_price: PositivePrice | None = None


class MarketClock(Record):
    is_open: bool
    timestamp: AwareDatetime
    next_open: AwareDatetime
    next_close: AwareDatetime


OrderQuery = Literal["open", "closed", "all"]


class Broker(Protocol):
    name: str
    """paper or alpaca, shown in /status."""

    def get_account(self) -> BrokerAccount: ...
    def get_positions(self) -> list[BrokerPosition]: ...
    def submit_order(self, request: OrderRequest) -> BrokerOrder: ...
    def get_order(self, broker_order_id: str) -> BrokerOrder: ...
    def get_order_by_client_id(self, client_order_id: str) -> BrokerOrder | None: ...
    def list_orders(
        self, status: OrderQuery = "open", since: datetime | None = None
    ) -> list[BrokerOrder]: ...
    def cancel_order(self, broker_order_id: str) -> None: ...
    def replace_order(self, broker_order_id: str, change: ReplaceRequest) -> BrokerOrder: ...
    def cancel_all(self) -> None: ...
    def close_position(self, symbol: str) -> BrokerOrder | None: ...
    def close_all(self) -> list[BrokerOrder]: ...
    def get_clock(self) -> MarketClock: ...
    def process_open_orders(self) -> int: ...


class BrokerError(RuntimeError):
    """Base of broker errors. Messages are fit to show a person."""


class OutcomeUnknown(BrokerError):
    """The broker may or may not have the order (timeout, 5xx, dropped connection,
    duplicate client order id). The order manager looks it up by client order id and
    adopts it, or resubmits with the same id; never a second id."""


class DuplicateClientOrderId(OutcomeUnknown):
    """The broker already has an order with this client order id (Alpaca: HTTP 422).
    The order manager looks it up and adopts it."""


class BrokerUnavailable(BrokerError):
    """A read failed after retries. The current job is skipped and retried later."""


class OrderRejected(BrokerError):
    """The broker refused the order for a reason that retrying will not fix. The order
    is marked failed and the user is told why."""


class InsufficientBuyingPower(OrderRejected):
    """Not enough cash or buying power for the order."""


class InsufficientQuantity(OrderRejected):
    """The shares are held by another open order (Alpaca HTTP 403, code 40310000), such
    as a protective stop: cancel that order first, then sell."""


class MarketClosed(OrderRejected):
    """The broker does not accept this order while the market is closed."""


class UnknownSymbol(OrderRejected):
    """The broker does not know or cannot trade the symbol."""


class OrderNotFound(BrokerError):
    """No order with that id at the broker."""


class AuthenticationFailed(BrokerError):
    """Wrong keys, or paper keys against the live endpoint (or the reverse). Trading is
    HALTED and an alert is raised: nothing can be sent until a person fixes the keys."""
