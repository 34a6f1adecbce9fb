"""Pre-trade checks: every rule an order must pass, each with a reason a person reads.

`validate_trade` runs all of them and returns every failing reason, not just the first,
so a refused signal says everything that is wrong with it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple, Protocol

from core.base.types import OrderSide, TradingState
from risk.daily_loss import session_of
from risk.day_trades import day_trade_limit_blocks
from risk.portfolio import HeldPosition, stop_risk
from risk.sizing import SizingRules
from risk.trading_state import OrderPurpose, order_allowed

DEFAULT_DUPLICATE_WINDOW = timedelta(minutes=5)


class TradeRules(SizingRules, Protocol):
    """The limits the checks read (core.base.settings.RuntimeSettings satisfies it)."""

    max_portfolio_risk: float
    max_open_positions: int
    max_orders_per_day: int
    price_collar_pct: float
    min_share_price: float
    max_day_trades: int | None
    day_trade_window_sessions: int


@dataclass(frozen=True)
class TradeRequest:
    symbol: str
    side: OrderSide
    quantity: float
    price: float
    """The price the order is expected to fill at (limit price, or the signal's price)."""
    now: datetime
    stop_price: float | None = None
    """The initial stop of a BUY."""


@dataclass(frozen=True)
class RecentOrder:
    symbol: str
    side: OrderSide
    submitted_at: datetime


@dataclass(frozen=True)
class AccountView:
    equity: float
    buying_power: float
    """What may be spent now: the broker's buying power, less unsettled sale proceeds
    in a cash account."""
    unsettled_proceeds: float = 0.0
    """Sale proceeds of a cash account that settle next session (already left out of
    `buying_power`), so a refusal can say why."""
    positions: Mapping[str, HeldPosition] = field(default_factory=dict)
    recent_orders: Sequence[RecentOrder] = ()
    orders_today: int = 0
    day_trade_sessions: Sequence[date] = ()
    """Session of each day trade made recently."""
    recent_sessions: Sequence[date] = ()
    """The last exchange sessions, today included, oldest first."""


@dataclass(frozen=True)
class MarketView:
    is_open: bool
    latest_quote: float | None
    """Latest price of the request's symbol; None when there is no fresh quote."""


class TradeCheck(NamedTuple):
    ok: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class _Context:
    request: TradeRequest
    account: AccountView
    market: MarketView
    rules: TradeRules
    state: TradingState
    allow_short: bool
    duplicate_window: timedelta
    commission_per_share: float

    @property
    def held(self) -> float:
        position = self.account.positions.get(self.request.symbol)
        return position.quantity if position else 0.0

    @property
    def buying(self) -> bool:
        return self.request.side is OrderSide.BUY

    @property
    def notional(self) -> float:
        return self.request.quantity * self.request.price


Rule = Callable[[_Context], str | None]


def _quantity(c: _Context) -> str | None:
    if c.request.quantity <= 0:
        return f"quantity {c.request.quantity} must be positive"
    return None


def _trading_state(c: _Context) -> str | None:
    reduces = not c.buying and c.held > 0
    allowed, reason = order_allowed(c.state, OrderPurpose.REDUCE if reduces else OrderPurpose.OPEN)
    return None if allowed else reason


def _market_open(c: _Context) -> str | None:
    return None if c.market.is_open else "the market is closed"


def _max_open_positions(c: _Context) -> str | None:
    count = len(c.account.positions)
    if c.buying and c.held == 0 and count >= c.rules.max_open_positions:
        return f"{count} positions are open; the limit is {c.rules.max_open_positions}"
    return None


def _portfolio_risk(c: _Context) -> str | None:
    if not c.buying or c.account.equity <= 0:
        return None
    r = c.request
    added = r.quantity * (r.price - r.stop_price) if r.stop_price is not None else c.notional
    total = (stop_risk(c.account.positions.values()) + max(added, 0.0)) / c.account.equity
    if total > c.rules.max_portfolio_risk:
        return (
            f"portfolio risk would be {total:.1%} of equity (sum of stop risk); "
            f"the limit is {c.rules.max_portfolio_risk:.0%}"
        )
    return None


def _position_size(c: _Context) -> str | None:
    if not c.buying:
        return None
    value = (c.held + c.request.quantity) * c.request.price
    limit = c.rules.max_position_pct * c.account.equity
    if value > limit:
        return (
            f"{c.request.symbol} position would be ${value:,.2f}; the limit is ${limit:,.2f} "
            f"({c.rules.max_position_pct:.0%} of equity)"
        )
    return None


def _order_notional(c: _Context) -> str | None:
    if c.buying and c.notional > c.rules.max_order_notional:
        return (
            f"order value ${c.notional:,.2f} exceeds the maximum order value "
            f"${c.rules.max_order_notional:,.2f}"
        )
    return None


def _buying_power(c: _Context) -> str | None:
    if not c.buying:
        return None
    cost = c.notional + c.request.quantity * c.commission_per_share
    if cost > c.account.buying_power:
        unsettled = c.account.unsettled_proceeds
        why = (
            f" (${unsettled:,.2f} of sale proceeds settle next session; a cash account "
            "must not buy with them)"
            if unsettled > 0
            else ""
        )
        return f"order costs ${cost:,.2f} but buying power is ${c.account.buying_power:,.2f}{why}"
    return None


def _duplicate(c: _Context) -> str | None:
    r = c.request
    for order in c.account.recent_orders:
        if (
            order.symbol == r.symbol
            and order.side is r.side
            and r.now - order.submitted_at < c.duplicate_window
        ):
            minutes = c.duplicate_window.total_seconds() / 60
            return (
                f"a {r.side} order for {r.symbol} was already sent in the last {minutes:g} minutes"
            )
    return None


def _orders_per_day(c: _Context) -> str | None:
    if c.account.orders_today >= c.rules.max_orders_per_day:
        return (
            f"{c.account.orders_today} orders sent today; the limit is {c.rules.max_orders_per_day}"
        )
    return None


def _price_collar(c: _Context) -> str | None:
    quote = c.market.latest_quote
    if quote is None or quote <= 0:
        return f"no fresh quote for {c.request.symbol}"
    distance = abs(c.request.price - quote) / quote
    if distance > c.rules.price_collar_pct:
        return (
            f"order price {c.request.price:.2f} is {distance:.1%} from the latest quote "
            f"{quote:.2f}; the collar is {c.rules.price_collar_pct:.1%}"
        )
    return None


def _min_share_price(c: _Context) -> str | None:
    if c.buying and c.request.price < c.rules.min_share_price:
        return (
            f"{c.request.symbol} at ${c.request.price:.2f} is below the minimum share price "
            f"${c.rules.min_share_price:.2f}"
        )
    return None


def _no_short(c: _Context) -> str | None:
    if c.buying or c.allow_short or c.request.quantity <= c.held:
        return None
    return (
        f"selling {c.request.quantity:g} {c.request.symbol} but only {c.held:g} held; "
        "short selling is off"
    )


def _day_trade_limit(c: _Context) -> str | None:
    position = c.account.positions.get(c.request.symbol)
    opened_today = (
        position is not None
        and position.opened_session is not None
        and position.opened_session == session_of(c.request.now)
    )
    return day_trade_limit_blocks(
        limit=c.rules.max_day_trades,
        window=c.rules.day_trade_window_sessions,
        would_be_day_trade=not c.buying and opened_today,
        day_trade_sessions=c.account.day_trade_sessions,
        recent_sessions=c.account.recent_sessions,
    )


RULES: tuple[Rule, ...] = (
    _quantity,
    _trading_state,
    _market_open,
    _max_open_positions,
    _portfolio_risk,
    _position_size,
    _order_notional,
    _buying_power,
    _duplicate,
    _orders_per_day,
    _price_collar,
    _min_share_price,
    _no_short,
    _day_trade_limit,
)


def validate_trade(
    request: TradeRequest,
    *,
    account: AccountView,
    market: MarketView,
    rules: TradeRules,
    trading_state: TradingState,
    allow_short: bool = False,
    duplicate_window: timedelta = DEFAULT_DUPLICATE_WINDOW,
    commission_per_share: float = 0.0,
) -> TradeCheck:
    context = _Context(
        request,
        account,
        market,
        rules,
        trading_state,
        allow_short,
        duplicate_window,
        commission_per_share,
    )
    reasons = tuple(reason for rule in RULES if (reason := rule(context)) is not None)
    return TradeCheck(ok=not reasons, reasons=reasons)
