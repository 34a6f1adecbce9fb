"""The paper broker: a simulated exchange behind the same `Broker` protocol as Alpaca.

Its books (cash, orders, positions, fills) are its own SQLite tables, apart from the
agent's journal, and survive restarts. Fills:

- market orders fill at the next price from the market data layer — the latest price
  when the market is open (`fill_policy="latest"`, live and demo), or the next bar's
  open (`fill_policy="next_open"`, replay: `on_bar`);
- limit and stop orders fill against a bar's high and low (a gap through the level
  fills at the open, not at the level), or against the latest price live;
- slippage moves every fill against the order by `slippage_bps`; commission is per
  share. No margin and no short selling: a buy that would make cash negative is
  refused, a sell larger than the position is refused.

Deterministic: no randomness anywhere.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Literal

import pandas as pd

from core.base.calendar import ExchangeCalendar
from core.base.clock import Clock
from core.data.provider import MarketDataProvider
from core.base.types import OrderSide, OrderStatus, OrderType
from execution.broker import (
    BrokerAccount,
    BrokerOrder,
    BrokerPosition,
    DuplicateClientOrderId,
    InsufficientBuyingPower,
    MarketClock,
    OrderNotFound,
    OrderQuery,
    OrderRejected,
    OrderRequest,
    UnknownSymbol,
)
from storage.database import database_proxy
from storage.models import PaperAccount, PaperFill, PaperOrder, PaperPosition

log = logging.getLogger(__name__)

_OPEN = (OrderStatus.SUBMITTED.value, OrderStatus.PARTIALLY_FILLED.value)
_EPSILON = 1e-9
FillPolicy = Literal["latest", "next_open"]


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
        fill_policy: FillPolicy = "latest",
    ) -> None:
        self._market = market
        self._clock = clock
        self._calendar = calendar
        self.starting_cash = starting_cash
        self.slippage_bps = slippage_bps
        self.commission_per_share = commission_per_share
        self.fill_policy = fill_policy

    # -- account -------------------------------------------------------------------

    def _account(self) -> PaperAccount:
        account = PaperAccount.get_or_none(PaperAccount.id == 1)
        if account is None:
            account = PaperAccount.create(
                id=1,
                cash=self.starting_cash,
                starting_cash=self.starting_cash,
                updated_at=self._clock.now(),
            )
        return account

    def _prices(self, symbols: list[str]) -> dict[str, float]:
        return self._market.latest_prices(symbols) if symbols else {}

    def get_account(self) -> BrokerAccount:
        cash = self._account().cash
        positions = self.get_positions()
        equity = cash + sum(p.market_value or 0.0 for p in positions)
        return BrokerAccount(cash=cash, equity=equity, buying_power=cash)

    def get_positions(self) -> list[BrokerPosition]:
        rows = list(PaperPosition.select().order_by(PaperPosition.symbol))
        prices = self._prices([r.symbol for r in rows])
        out = []
        for row in rows:
            price = prices.get(row.symbol, row.avg_entry_price)
            out.append(
                BrokerPosition(
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

    @staticmethod
    def _to_broker(row: PaperOrder) -> BrokerOrder:
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
            commission=sum(f.commission for f in row.fills),
        )

    def submit_order(self, request: OrderRequest) -> BrokerOrder:
        now = self._clock.now()
        price = self._prices([request.symbol]).get(request.symbol)
        if price is None:
            raise UnknownSymbol(f"{request.symbol}: no price; the paper exchange cannot trade it")
        with database_proxy.atomic(lock_type="IMMEDIATE"):
            if PaperOrder.get_or_none(PaperOrder.client_order_id == request.client_order_id):
                raise DuplicateClientOrderId(
                    f"client order id {request.client_order_id} is already in use"
                )
            self._check_affordable(request, price)
            row = PaperOrder.create(
                id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"paper/{request.client_order_id}")),
                client_order_id=request.client_order_id,
                symbol=request.symbol,
                side=request.side.value,
                order_type=request.order_type.value,
                quantity=request.quantity,
                limit_price=request.limit_price,
                stop_price=request.stop_price,
                status=OrderStatus.SUBMITTED.value,
                submitted_at=now,
                updated_at=now,
            )
        if self.fill_policy == "latest" and self._calendar.is_open(now):
            self._try_fill_at_price(row, price, now)
        return self._to_broker(PaperOrder.get_by_id(row.id))

    def _check_affordable(self, request: OrderRequest, price: float) -> None:
        if request.side is OrderSide.SELL:
            held = PaperPosition.get_or_none(PaperPosition.symbol == request.symbol)
            quantity = held.quantity if held else 0.0
            if request.quantity > quantity + _EPSILON:
                raise OrderRejected(
                    f"sell {request.quantity:g} {request.symbol}: only {quantity:g} held "
                    "(the paper broker does not sell short)"
                )
            return
        reference = request.limit_price or price
        cost = request.quantity * self._slipped(reference, OrderSide.BUY) + self._commission(
            request.quantity
        )
        cash = self._account().cash
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

    def _try_fill_at_price(self, row: PaperOrder, price: float, now: datetime) -> None:
        """Live: fill an open order against one price if its type allows."""
        self._try_fill(row, open_=price, high=price, low=price, now=now)

    def _try_fill(
        self, row: PaperOrder, *, open_: float, high: float, low: float, now: datetime
    ) -> None:
        side = OrderSide(row.side)
        kind = OrderType(row.order_type)
        fill: float | None = None
        if kind is OrderType.MARKET:
            fill = open_
        elif kind is OrderType.LIMIT:
            if side is OrderSide.BUY and low <= row.limit_price:
                fill = min(open_, row.limit_price)
            elif side is OrderSide.SELL and high >= row.limit_price:
                fill = max(open_, row.limit_price)
        elif kind is OrderType.STOP:
            if side is OrderSide.SELL and low <= row.stop_price:
                fill = min(open_, row.stop_price)
            elif side is OrderSide.BUY and high >= row.stop_price:
                fill = max(open_, row.stop_price)
        if fill is not None:
            # Limit orders are not slipped past their limit.
            price = self._slipped(fill, side)
            if kind is OrderType.LIMIT:
                price = (
                    min(price, row.limit_price)
                    if side is OrderSide.BUY
                    else max(price, row.limit_price)
                )
            self._execute(row, price, now)

    def _execute(self, row: PaperOrder, price: float, now: datetime) -> None:
        side = OrderSide(row.side)
        quantity = row.quantity - row.filled_quantity
        commission = self._commission(quantity)
        with database_proxy.atomic(lock_type="IMMEDIATE"):
            account = self._account()
            position = PaperPosition.get_or_none(PaperPosition.symbol == row.symbol)
            if side is OrderSide.BUY:
                cost = quantity * price + commission
                if cost > account.cash + _EPSILON:
                    self._reject(
                        row, f"cash ${account.cash:,.2f} is below the fill cost ${cost:,.2f}", now
                    )
                    return
                account.cash -= cost
                if position is None:
                    PaperPosition.create(
                        symbol=row.symbol, quantity=quantity, avg_entry_price=price, updated_at=now
                    )
                else:
                    total = position.quantity + quantity
                    position.avg_entry_price = (
                        position.quantity * position.avg_entry_price + quantity * price
                    ) / total
                    position.quantity = total
                    position.updated_at = now
                    position.save()
            else:
                held = position.quantity if position else 0.0
                if quantity > held + _EPSILON:
                    self._reject(row, f"only {held:g} {row.symbol} held at fill time", now)
                    return
                account.cash += quantity * price - commission
                position.quantity -= quantity
                if position.quantity <= _EPSILON:
                    position.delete_instance()
                else:
                    position.updated_at = now
                    position.save()
            account.updated_at = now
            account.save()
            PaperFill.create(
                order=row,
                symbol=row.symbol,
                side=row.side,
                quantity=quantity,
                price=price,
                commission=commission,
                filled_at=now,
            )
            row.filled_quantity = row.quantity
            row.filled_avg_price = price
            row.status = OrderStatus.FILLED.value
            row.updated_at = now
            row.save()
        log.info(
            "paper fill",
            extra={
                "symbol": row.symbol,
                "side": row.side,
                "qty": quantity,
                "price": round(price, 4),
            },
        )

    def _reject(self, row: PaperOrder, reason: str, now: datetime) -> None:
        row.status = OrderStatus.FAILED.value
        row.reject_reason = reason
        row.updated_at = now
        row.save()

    def process_open_orders(self) -> int:
        """Live: try every open order against the latest price; returns fills made."""
        now = self._clock.now()
        if not self._calendar.is_open(now):
            return 0
        rows = list(PaperOrder.select().where(PaperOrder.status.in_(_OPEN)))
        prices = self._prices(sorted({r.symbol for r in rows}))
        filled = 0
        for row in rows:
            if row.symbol in prices:
                self._try_fill_at_price(row, prices[row.symbol], now)
                filled += PaperOrder.get_by_id(row.id).status == OrderStatus.FILLED.value
        return filled

    def on_bar(self, symbol: str, bar: pd.Series, at: datetime) -> int:
        """Replay: fill open orders of `symbol` against a new bar (open/high/low)."""
        rows = list(
            PaperOrder.select().where((PaperOrder.symbol == symbol) & PaperOrder.status.in_(_OPEN))
        )
        for row in rows:
            self._try_fill(
                row,
                open_=float(bar["open"]),
                high=float(bar["high"]),
                low=float(bar["low"]),
                now=at,
            )
        return sum(PaperOrder.get_by_id(r.id).status == OrderStatus.FILLED.value for r in rows)

    def get_order(self, broker_order_id: str) -> BrokerOrder:
        row = PaperOrder.get_or_none(PaperOrder.id == broker_order_id)
        if row is None:
            raise OrderNotFound(f"no paper order {broker_order_id}")
        return self._to_broker(row)

    def get_order_by_client_id(self, client_order_id: str) -> BrokerOrder | None:
        row = PaperOrder.get_or_none(PaperOrder.client_order_id == client_order_id)
        return self._to_broker(row) if row else None

    def list_orders(
        self, status: OrderQuery = "open", since: datetime | None = None
    ) -> list[BrokerOrder]:
        query = PaperOrder.select().order_by(PaperOrder.submitted_at, PaperOrder.id)
        if status == "open":
            query = query.where(PaperOrder.status.in_(_OPEN))
        elif status == "closed":
            query = query.where(PaperOrder.status.not_in(_OPEN))
        if since is not None:
            query = query.where(PaperOrder.submitted_at >= since)
        return [self._to_broker(row) for row in query]

    def cancel_order(self, broker_order_id: str) -> None:
        row = PaperOrder.get_or_none(PaperOrder.id == broker_order_id)
        if row is None:
            raise OrderNotFound(f"no paper order {broker_order_id}")
        if row.status in _OPEN:
            row.status = OrderStatus.CANCELLED.value
            row.updated_at = self._clock.now()
            row.save()

    def cancel_all(self) -> None:
        for order in self.list_orders("open"):
            self.cancel_order(order.broker_order_id)

    def close_position(self, symbol: str) -> BrokerOrder | None:
        position = PaperPosition.get_or_none(PaperPosition.symbol == symbol)
        if position is None:
            return None
        client_id = f"close-{symbol}-{self._clock.now():%Y%m%dT%H%M%S%f}"
        return self.submit_order(
            OrderRequest(
                client_order_id=client_id,
                symbol=symbol,
                side=OrderSide.SELL,
                quantity=position.quantity,
            )
        )

    def close_all(self) -> list[BrokerOrder]:
        orders = []
        for position in list(PaperPosition.select()):
            order = self.close_position(position.symbol)
            if order is not None:
                orders.append(order)
        return orders
