"""The paper broker: a simulated exchange behind the same `Broker` protocol as Alpaca.

Its books (cash, orders, positions, fills) are its own SQLite tables
(`storage.paper_exchange`), apart from the agent's journal, and survive restarts.

Prices come from one of two places, chosen when it is built (never a flag the callers
test):
- live and demo: the latest price from the market data layer. A market order fills at
  once while the market is open; resting orders are worked by `process_open_orders`,
  which the session lifecycle calls on every watch tick;
- replay (`session_bars` given): the bar of the session in progress. An order fills
  against a bar only if it was resting at that session's open (or was placed at the
  open, like a protective stop after an opening fill), so a decision taken at a close
  fills at the next open, never against the bar it was decided on.
Market orders fill at the price (or the bar's open); limit and stop orders against the
high and low — a gap through the level fills at the open, not at the level. Slippage
moves every fill against the order by `slippage_bps`; commission is per share. No
margin, no short selling. Deterministic: no randomness anywhere.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from core.base.calendar import ExchangeCalendar
from core.base.clock import Clock
from core.base.settings import BrokerSettings
from core.base.types import OrderSide, OrderStatus, OrderType
from core.data.bars import SessionBar
from core.data.provider import MarketDataProvider
from execution.broker import (
    BrokerAccount,
    BrokerOrder,
    BrokerPosition,
    DuplicateClientOrderId,
    InsufficientBuyingPower,
    InsufficientQuantity,
    MarketClock,
    OrderNotFound,
    OrderQuery,
    OrderRejected,
    OrderRequest,
    ReplaceRequest,
    UnknownSymbol,
)
from storage.paper_exchange import OPEN_STATUSES, ExecutionRefused, PaperOrderRow
from storage.port import PaperRepo

log = logging.getLogger(__name__)

_EPSILON = 1e-9


def _check_cents(*prices: float | None) -> None:
    """Like Alpaca: prices of $1 or more in whole cents (sub-penny prices are refused)."""
    for price in prices:
        if price is not None and price >= 1.0 and abs(round(price, 2) - price) > 1e-9:
            raise OrderRejected(f"sub-penny price {price!r}: use whole cents")


def _fill_price(
    kind: OrderType,
    side: OrderSide,
    limit: float | None,
    stop: float | None,
    open_: float,
    high: float,
    low: float,
) -> float | None:
    """Where an order fills against one price range, or None when it is not reached.
    A gap through a limit or stop fills at the open, not at the level."""
    if kind is OrderType.MARKET:
        return open_
    if kind is OrderType.LIMIT and limit is not None:
        if side is OrderSide.BUY:
            return min(open_, limit) if low <= limit else None
        return max(open_, limit) if high >= limit else None
    if kind is OrderType.STOP and stop is not None:
        if side is OrderSide.SELL:
            return min(open_, stop) if low <= stop else None
        return max(open_, stop) if high >= stop else None
    return None


class SessionBars(Protocol):
    """Where a replayed exchange reads the bar of the session in progress."""

    def session_bar(self, symbol: str, at: datetime) -> SessionBar | None: ...


class PaperBroker:
    name = "paper"

    def __init__(
        self,
        *,
        market: MarketDataProvider,
        clock: Clock,
        calendar: ExchangeCalendar,
        starting_cash: float = 10_000.0,
        slippage_bps: float = 5.0,
        commission_per_share: float = 0.0,
        session_bars: SessionBars | None = None,
        books: PaperRepo,
    ) -> None:
        self._books = books
        self._market = market
        self._clock = clock
        self._calendar = calendar
        self.starting_cash = starting_cash
        self.slippage_bps = slippage_bps
        self.commission_per_share = commission_per_share
        self._session_bars = session_bars

    @classmethod
    def from_settings(
        cls,
        settings: BrokerSettings,
        *,
        starting_cash: float,
        market: MarketDataProvider,
        clock: Clock,
        calendar: ExchangeCalendar,
        books: PaperRepo,
        session_bars: SessionBars | None = None,
    ) -> PaperBroker:
        """The one place the configuration's paper costs become an exchange (the agent
        and the backtest both build theirs here)."""
        return cls(
            market=market,
            clock=clock,
            calendar=calendar,
            starting_cash=starting_cash,
            slippage_bps=settings.slippage_bps,
            commission_per_share=settings.commission_per_share,
            session_bars=session_bars,
            books=books,
        )

    # -- account -------------------------------------------------------------------

    def _prices(self, symbols: list[str]) -> dict[str, float]:
        return self._market.latest_prices(symbols) if symbols else {}

    def get_account(self) -> BrokerAccount:
        cash = self._books.cash(self.starting_cash, self._clock.now())
        positions = self.get_positions()
        equity = cash + sum(p.market_value or 0.0 for p in positions)
        # Built from the exchange's own books, already checked when written: a replay
        # asks several times a session, and validation was a tenth of its time.
        return BrokerAccount.model_construct(cash=cash, equity=equity, buying_power=cash)

    def get_positions(self) -> list[BrokerPosition]:
        rows = self._books.positions()
        prices = self._prices([r.symbol for r in rows])
        out = []
        for row in rows:
            price = prices.get(row.symbol, row.avg_entry_price)
            out.append(
                BrokerPosition.model_construct(
                    symbol=row.symbol,
                    quantity=row.quantity,
                    avg_entry_price=row.avg_entry_price,
                    current_price=price,
                    market_value=row.quantity * price,
                )
            )
        return out

    def get_clock(self) -> MarketClock:
        now = self._clock.now()
        is_open = self._calendar.is_open(now)
        next_open = self._calendar.next_open(now)
        session = self._calendar.session_of(now) if is_open else None
        next_close = (
            self._calendar.session_close(session)
            if session
            else self._calendar.session_close(next_open.date())
        )
        return MarketClock(
            is_open=is_open, timestamp=now, next_open=next_open, next_close=next_close
        )

    # -- orders --------------------------------------------------------------------

    def _to_broker(self, row: PaperOrderRow) -> BrokerOrder:
        return BrokerOrder(
            broker_order_id=row.id,
            client_order_id=row.client_order_id,
            symbol=row.symbol,
            side=OrderSide(row.side),
            quantity=row.quantity,
            order_type=OrderType(row.order_type),
            status=OrderStatus(row.status),
            filled_quantity=row.filled_quantity,
            filled_avg_price=row.filled_avg_price,
            limit_price=row.limit_price,
            stop_price=row.stop_price,
            submitted_at=row.submitted_at,
            updated_at=row.updated_at,
            reject_reason=row.reject_reason,
            commission=self._books.commission_of(row),
        )

    def submit_order(self, request: OrderRequest) -> BrokerOrder:
        now = self._clock.now()
        price = self._prices([request.symbol]).get(request.symbol)
        if price is None:
            raise UnknownSymbol(f"{request.symbol}: no price; the paper exchange cannot trade it")
        _check_cents(request.limit_price, request.stop_price)
        self._check_affordable(request, price)
        row = self._books.create_order(
            client_order_id=request.client_order_id,
            symbol=request.symbol,
            side=request.side,
            order_type=request.order_type.value,
            quantity=request.quantity,
            limit_price=request.limit_price,
            stop_price=request.stop_price,
            now=now,
        )
        if row is None:
            raise DuplicateClientOrderId(
                f"client order id {request.client_order_id} is already in use"
            )
        if self._session_bars is None and self._calendar.is_open(now):
            self._try_fill(row, open_=price, high=price, low=price, now=now)
        return self.get_order(row.id)

    def _check_affordable(self, request: OrderRequest, price: float) -> None:
        if request.side is OrderSide.SELL:
            quantity = self._books.held(request.symbol)
            if request.quantity > quantity + _EPSILON:
                raise OrderRejected(
                    f"sell {request.quantity:g} {request.symbol}: only {quantity:g} held "
                    "(the paper broker does not sell short)"
                )
            available = quantity - self._books.held_by_open_sells(request.symbol)
            if request.quantity > available + _EPSILON:
                raise InsufficientQuantity(
                    f"insufficient qty available for order (requested: {request.quantity:g}, "
                    f"available: {max(available, 0.0):g}): held by another open order"
                )
            return
        reference = request.limit_price or price
        cost = request.quantity * self._slipped(reference, OrderSide.BUY) + self._commission(
            request.quantity
        )
        cash = self._books.cash(self.starting_cash, self._clock.now())
        if cost > cash + _EPSILON:
            raise InsufficientBuyingPower(
                f"buy {request.quantity:g} {request.symbol} costs about ${cost:,.2f}; "
                f"cash is ${cash:,.2f} (no margin)"
            )

    def _slipped(self, price: float, side: OrderSide) -> float:
        factor = self.slippage_bps / 10_000.0
        return price * (1 + factor) if side is OrderSide.BUY else price * (1 - factor)

    def _commission(self, quantity: float) -> float:
        return quantity * self.commission_per_share

    def _try_fill(
        self, row: PaperOrderRow, *, open_: float, high: float, low: float, now: datetime
    ) -> bool:
        """Fill `row` against one price range if its type allows; True when filled."""
        side = OrderSide(row.side)
        fill = _fill_price(
            OrderType(row.order_type), side, row.limit_price, row.stop_price, open_, high, low
        )
        if fill is None:
            return False
        price = self._slipped(fill, side)
        if row.limit_price is not None:  # a limit order is never slipped past its limit
            limit = float(row.limit_price)
            price = min(price, limit) if side is OrderSide.BUY else max(price, limit)
        commission = self._commission(row.quantity - row.filled_quantity)
        try:
            self._books.execute(
                row, price=price, commission=commission, starting_cash=self.starting_cash, now=now
            )
        except ExecutionRefused as refused:
            self._books.finish(row, OrderStatus.FAILED, now, reason=str(refused))
            return False
        log.info(
            "paper fill",
            extra={"symbol": row.symbol, "side": row.side, "price": round(price, 4)},
        )
        return True

    def process_open_orders(self) -> int:
        """Work every resting order against the prices of now; returns fills made."""
        now = self._clock.now()
        if self._session_bars is not None:
            return self._process_against_bars(now)
        if not self._calendar.is_open(now):
            return 0
        rows = self._books.orders("open")
        prices = self._prices(sorted({r.symbol for r in rows}))
        filled = 0
        for row in rows:
            price = prices.get(row.symbol)
            if price is not None:
                filled += self._try_fill(row, open_=price, high=price, low=price, now=now)
        return filled

    def _process_against_bars(self, now: datetime) -> int:
        assert self._session_bars is not None
        filled = 0
        for row in self._books.orders("open"):
            bar = self._session_bars.session_bar(row.symbol, now)
            if bar is None or row.submitted_at > bar.opens_at:
                continue  # placed during this session: it rests until the next bar
            filled += self._try_fill(row, open_=bar.open, high=bar.high, low=bar.low, now=now)
        return filled

    def get_order(self, broker_order_id: str) -> BrokerOrder:
        row = self._books.order(broker_order_id)
        if row is None:
            raise OrderNotFound(f"no paper order {broker_order_id}")
        return self._to_broker(row)

    def get_order_by_client_id(self, client_order_id: str) -> BrokerOrder | None:
        row = self._books.order_by_client_id(client_order_id)
        return self._to_broker(row) if row else None

    def list_orders(
        self, status: OrderQuery = "open", since: datetime | None = None
    ) -> list[BrokerOrder]:
        return [self._to_broker(row) for row in self._books.orders(status, since)]

    def cancel_order(self, broker_order_id: str) -> None:
        row = self._books.order(broker_order_id)
        if row is None:
            raise OrderNotFound(f"no paper order {broker_order_id}")
        self._books.finish(row, OrderStatus.CANCELLED, self._clock.now())

    def replace_order(self, broker_order_id: str, change: ReplaceRequest) -> BrokerOrder:
        row = self._books.order(broker_order_id)
        if row is None:
            raise OrderNotFound(f"no paper order {broker_order_id}")
        if row.status not in OPEN_STATUSES:
            raise OrderRejected(f"order {broker_order_id} is already {row.status}")
        _check_cents(None, change.stop_price)
        new = self._books.replace(
            row,
            client_order_id=change.client_order_id,
            quantity=change.quantity,
            stop_price=change.stop_price,
            now=self._clock.now(),
        )
        if new is None:
            raise DuplicateClientOrderId(
                f"client order id {change.client_order_id} is already in use"
            )
        return self.get_order(new.id)

    def cancel_all(self) -> None:
        for row in self._books.orders("open"):
            self._books.finish(row, OrderStatus.CANCELLED, self._clock.now())

    def close_position(self, symbol: str) -> BrokerOrder | None:
        quantity = self._books.held(symbol)
        if quantity <= _EPSILON:
            return None
        client_id = f"close-{symbol}-{self._clock.now():%Y%m%dT%H%M%S%f}"
        return self.submit_order(
            OrderRequest(
                client_order_id=client_id, symbol=symbol, side=OrderSide.SELL, quantity=quantity
            )
        )

    def close_all(self) -> list[BrokerOrder]:
        orders = []
        for position in self._books.positions():
            order = self.close_position(position.symbol)
            if order is not None:
                orders.append(order)
        return orders
