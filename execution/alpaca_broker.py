"""The Alpaca broker: alpaca-py's `TradingClient`, paper by default.

Live trading needs both `ALPACA_PAPER=false` and the explicit `broker.allow_live`
setting. Every request has a timeout (alpaca-py sets none) and alpaca-py's own retry is
off, because it would resend an order submission on 429/504. Reads retry here with
backoff inside Alpaca's 200 requests/minute; a submission is sent once, and anything
short of a clear answer is `OutcomeUnknown` for the order manager to resolve by client
order id.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import requests
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide as AlpacaSide
from alpaca.trading.enums import QueryOrderStatus, TimeInForce
from alpaca.trading.requests import (
    GetOrdersRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    ReplaceOrderRequest,
    StopOrderRequest,
)

from core.base.types import OrderSide, OrderStatus, OrderType
from core.data.http import RateLimiter, call_with_retries, configure_alpaca_client
from execution.broker import (
    AuthenticationFailed,
    BrokerAccount,
    BrokerError,
    BrokerOrder,
    BrokerPosition,
    BrokerUnavailable,
    DuplicateClientOrderId,
    InsufficientBuyingPower,
    InsufficientQuantity,
    MarketClock,
    MarketClosed,
    OrderNotFound,
    OrderQuery,
    OrderRejected,
    OrderRequest,
    OutcomeUnknown,
    ReplaceRequest,
    UnknownSymbol,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_STATUS = {
    "filled": OrderStatus.FILLED,
    "partially_filled": OrderStatus.PARTIALLY_FILLED,
    "canceled": OrderStatus.CANCELLED,
    "expired": OrderStatus.CANCELLED,
    "done_for_day": OrderStatus.CANCELLED,
    "replaced": OrderStatus.CANCELLED,
    "rejected": OrderStatus.FAILED,
    "suspended": OrderStatus.FAILED,
}
_TYPES = {"market": OrderType.MARKET, "limit": OrderType.LIMIT, "stop": OrderType.STOP}


class LiveTradingNotAllowed(BrokerError):
    """ALPACA_PAPER=false without broker.allow_live: stockbot refuses to start."""


INSUFFICIENT_QTY_CODE = 40310000
"""HTTP 403 with this code and no word of buying power: the shares are held by another
order (a protective stop)."""


def _body(error: APIError) -> dict[str, Any]:
    try:
        body = json.loads(str(error))
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _message(error: APIError) -> str:
    return str(_body(error).get("message", error))


def classify(error: APIError) -> BrokerError:
    """Turn an Alpaca error into the domain error that says how to react."""
    status = error.status_code
    message = _message(error)
    code = _body(error).get("code")
    lowered = message.lower()
    if status in _RETRY_STATUS:
        return BrokerUnavailable(f"Alpaca answered HTTP {status}: {message}")
    if status == 422 and "client_order_id" in lowered:
        return DuplicateClientOrderId(f"Alpaca: {message}")
    if "buying power" in lowered:
        return InsufficientBuyingPower(f"Alpaca: insufficient buying power ({message})")
    if code == INSUFFICIENT_QTY_CODE or "insufficient qty" in lowered:
        return InsufficientQuantity(
            f"Alpaca: the shares are held by another open order ({message})"
        )
    if status in (401, 403):
        return AuthenticationFailed(
            f"Alpaca refused the keys (HTTP {status}: {message}); check ALPACA_API_KEY, "
            "ALPACA_SECRET_KEY and that paper keys go with ALPACA_PAPER=true"
        )
    if "market" in lowered and "closed" in lowered:
        return MarketClosed(f"Alpaca: the market is closed ({message})")
    if status == 404 or "asset" in lowered or "symbol" in lowered:
        return UnknownSymbol(f"Alpaca: unknown or untradable symbol ({message})")
    return OrderRejected(f"Alpaca refused the order: HTTP {status}: {message}")


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _required_time(raw: dict[str, Any], key: str) -> datetime:
    value = _time(raw.get(key))
    if value is None:
        raise BrokerUnavailable(f"Alpaca's clock answered without {key}")
    return value


def _float(value: Any) -> float | None:
    return float(value) if value not in (None, "") else None


def to_broker_order(raw: dict[str, Any]) -> BrokerOrder:
    return BrokerOrder(
        broker_order_id=str(raw["id"]),
        client_order_id=str(raw["client_order_id"]),
        symbol=str(raw["symbol"]),
        side=OrderSide(str(raw["side"]).lower()),
        quantity=float(raw.get("qty") or 0),
        order_type=_TYPES.get(str(raw.get("type") or raw.get("order_type")), OrderType.MARKET),
        status=_STATUS.get(str(raw["status"]), OrderStatus.SUBMITTED),
        filled_quantity=float(raw.get("filled_qty") or 0),
        filled_avg_price=_float(raw.get("filled_avg_price")),
        limit_price=_float(raw.get("limit_price")),
        stop_price=_float(raw.get("stop_price")),
        submitted_at=_time(raw.get("submitted_at")),
        updated_at=_time(raw.get("updated_at")),
    )


class AlpacaBroker:
    name = "alpaca"

    def __init__(
        self,
        api_key: str,
        secret_key: str,
        *,
        paper: bool = True,
        allow_live: bool = False,
        base_url: str | None = None,
        timeout: float = 10.0,
        retries: int = 4,
        rate_limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not paper and not allow_live:
            raise LiveTradingNotAllowed(
                "ALPACA_PAPER=false asks for live trading, but broker.allow_live is false; "
                "set both to trade real money"
            )
        self.paper = paper
        self._client = TradingClient(
            api_key, secret_key, paper=paper, raw_data=True, url_override=base_url
        )
        configure_alpaca_client(self._client, timeout)
        self._retries = retries
        self._limiter = rate_limiter or RateLimiter()
        self._sleep = sleep

    def _read(self, what: str, function: Callable[..., Any], *args: Any) -> Any:
        """A read: retried with backoff on rate limits, 5xx, timeouts, resets. The
        client runs with raw_data=True, so the answer is plain JSON whatever
        alpaca-py's type hints say."""

        def retryable(error: Exception) -> str | None:
            if isinstance(error, APIError):
                domain = classify(error)
                if not isinstance(domain, BrokerUnavailable):
                    raise domain from error
                return str(domain)
            if isinstance(error, requests.exceptions.JSONDecodeError):
                return f"unreadable answer to {what}: {error}"
            if isinstance(error, requests.Timeout | requests.ConnectionError):
                return f"{type(error).__name__} on {what}"
            return None

        return call_with_retries(
            what,
            function,
            *args,
            limiter=self._limiter,
            retries=self._retries,
            sleep=self._sleep,
            retryable=retryable,
            exhausted=lambda problem: BrokerUnavailable(
                f"Alpaca: {what} failed after retries ({problem})"
            ),
        )

    # -- reads ---------------------------------------------------------------------

    def get_account(self) -> BrokerAccount:
        raw = self._read("account", self._client.get_account)
        return BrokerAccount(
            cash=float(raw["cash"]),
            equity=float(raw["equity"]),
            buying_power=float(raw["buying_power"]),
            currency=raw.get("currency", "USD"),
            multiplier=float(raw.get("multiplier") or 1),
        )

    def get_positions(self) -> list[BrokerPosition]:
        raw = self._read("positions", self._client.get_all_positions)
        return [
            BrokerPosition(
                symbol=p["symbol"],
                quantity=float(p["qty"]),
                avg_entry_price=float(p["avg_entry_price"]),
                current_price=_float(p.get("current_price")),
                market_value=_float(p.get("market_value")),
            )
            for p in raw
        ]

    def get_order(self, broker_order_id: str) -> BrokerOrder:
        try:
            return to_broker_order(
                self._read("order", self._client.get_order_by_id, broker_order_id)
            )
        except UnknownSymbol as error:  # a 404 for an order id
            raise OrderNotFound(f"no Alpaca order {broker_order_id}") from error

    def get_order_by_client_id(self, client_order_id: str) -> BrokerOrder | None:
        try:
            raw = self._read("order lookup", self._client.get_order_by_client_id, client_order_id)
        except UnknownSymbol:  # 404: no such order
            return None
        return to_broker_order(raw)

    def list_orders(
        self, status: OrderQuery = "open", since: datetime | None = None
    ) -> list[BrokerOrder]:
        request = GetOrdersRequest(status=QueryOrderStatus(status), after=since, limit=500)
        return [to_broker_order(o) for o in self._read("orders", self._client.get_orders, request)]

    def get_clock(self) -> MarketClock:
        raw = self._read("clock", self._client.get_clock)
        return MarketClock(
            is_open=bool(raw["is_open"]),
            timestamp=_required_time(raw, "timestamp"),
            next_open=_required_time(raw, "next_open"),
            next_close=_required_time(raw, "next_close"),
        )

    def process_open_orders(self) -> int:
        """Alpaca's exchange works resting orders itself; fills are found by tracking."""
        return 0

    # -- writes --------------------------------------------------------------------

    def _once(self, what: str, function: Callable[..., Any], *args: Any) -> Any:
        """A write: sent once. Anything short of a clear answer is `OutcomeUnknown`."""
        self._limiter.acquire()
        try:
            return function(*args)
        except APIError as error:
            domain = classify(error)
            if isinstance(domain, BrokerUnavailable):
                raise OutcomeUnknown(f"{what}: {domain}") from error
            raise domain from error
        except (requests.Timeout, requests.ConnectionError) as error:
            raise OutcomeUnknown(
                f"{what}: {type(error).__name__}; it may or may not have reached Alpaca"
            ) from error
        except requests.exceptions.JSONDecodeError as error:
            raise OutcomeUnknown(f"{what}: unreadable answer ({error})") from error

    def submit_order(self, request: OrderRequest) -> BrokerOrder:
        """Sent once. No retry here: a second POST could be a second order."""
        common = {
            "symbol": request.symbol,
            "qty": request.quantity,
            "side": AlpacaSide(request.side.value),
            "time_in_force": TimeInForce(request.time_in_force),
            "client_order_id": request.client_order_id,
        }
        order: LimitOrderRequest | StopOrderRequest | MarketOrderRequest
        if request.order_type is OrderType.LIMIT:
            order = LimitOrderRequest(
                **common, limit_price=request.limit_price, extended_hours=request.extended_hours
            )
        elif request.order_type is OrderType.STOP:
            order = StopOrderRequest(**common, stop_price=request.stop_price)
        else:
            order = MarketOrderRequest(**common)
        raw = self._once(f"submit {request.client_order_id}", self._client.submit_order, order)
        return to_broker_order(raw)

    def cancel_order(self, broker_order_id: str) -> None:
        try:
            self._read("cancel", self._client.cancel_order_by_id, broker_order_id)
        except (UnknownSymbol, OrderRejected) as error:
            # 404 / 422: already final or unknown; cancelling is idempotent.
            log.info("cancel not needed", extra={"order": broker_order_id, "why": str(error)})

    def cancel_all(self) -> None:
        self._read("cancel all", self._client.cancel_orders)

    def replace_order(self, broker_order_id: str, change: ReplaceRequest) -> BrokerOrder:
        """One PATCH: Alpaca answers with the new order and marks the old one replaced.
        Sent once, like a submission."""
        request = ReplaceOrderRequest(
            qty=int(change.quantity) if change.quantity.is_integer() else None,
            stop_price=change.stop_price,
            client_order_id=change.client_order_id,
        )
        raw = self._once(
            f"replace {broker_order_id} as {change.client_order_id}",
            self._client.replace_order_by_id,
            broker_order_id,
            request,
        )
        return to_broker_order(raw)

    def close_position(self, symbol: str) -> BrokerOrder | None:
        try:
            raw = self._once(f"close {symbol}", self._client.close_position, symbol)
        except UnknownSymbol:
            return None
        return to_broker_order(raw)

    def close_all(self) -> list[BrokerOrder]:
        raw = self._once("close all", self._client.close_all_positions, True)
        return [to_broker_order(item["body"]) for item in raw if item.get("body")]
