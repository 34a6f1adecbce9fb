"""Approving, rejecting and executing signals — the one path every decision takes,
whether a person taps Approve or the mode executes by itself (DESIGN §4).

Approval first wins the signal with a compare-and-set, then re-checks everything at
that moment — kill switch, market open, a fresh quote within the price collar, risk
limits, buying power — and only then hands an intent to the order manager.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from core.agent.account import account_view
from core.base.errors import AlreadyDecided, NotFound, SignalExpiredError
from core.base.events import SignalDecided, SignalExpired
from core.agent.services import Services
from core.base.types import OrderSide, OrderStatus, SignalType, TradingSignal
from execution.order_manager import Intent, OrderOutcome, client_order_id_for
from risk.checks import MarketView, TradeRequest, validate_trade
from risk.trading_state import OrderIntent
from storage import book
from storage.bot_state import load_trading_status
from storage.signals import SignalNotFound, get_signal, transition


@dataclass(frozen=True)
class Decision:
    signal_id: str
    status: OrderStatus
    """The signal's status after the decision (filled, submitted, failed, rejected …)."""
    message: str
    order: OrderOutcome | None = None


def load_signal(signal_id: str) -> TradingSignal:
    try:
        return get_signal(signal_id)
    except SignalNotFound as error:
        raise NotFound(f"no signal {signal_id}") from error


def _refuse_lost_race(services: Services, signal_id: str, now: datetime) -> None:
    current = load_signal(signal_id)
    if current.status is OrderStatus.PENDING and current.expires_at <= now:
        expire(services, current, now)
        raise SignalExpiredError(
            f"signal {signal_id} expired at {current.expires_at:%H:%M} UTC; prices have moved on"
        )
    if current.status is OrderStatus.EXPIRED:
        raise SignalExpiredError(f"signal {signal_id} has expired")
    raise AlreadyDecided(f"signal {signal_id} is already {current.status.value}")


def expire(services: Services, signal: TradingSignal, now: datetime) -> bool:
    if transition(signal.id, OrderStatus.PENDING, OrderStatus.EXPIRED, "system", now=now):
        services.bus.publish(SignalExpired(signal_id=signal.id, symbol=signal.symbol))
        return True
    return False


def approve(services: Services, signal_id: str, actor: str, origin: str | None = None) -> Decision:
    now = services.clock.now()
    signal = load_signal(signal_id)
    if not transition(
        signal_id, OrderStatus.PENDING, OrderStatus.APPROVED, actor, now=now, origin=origin
    ):
        _refuse_lost_race(services, signal_id, now)
    services.bus.publish(
        SignalDecided(
            signal_id=signal_id, symbol=signal.symbol, status=OrderStatus.APPROVED, actor=actor
        )
    )
    return execute(services, signal)


def reject(services: Services, signal_id: str, actor: str, origin: str | None = None) -> Decision:
    now = services.clock.now()
    signal = load_signal(signal_id)
    if not transition(
        signal_id, OrderStatus.PENDING, OrderStatus.REJECTED, actor, now=now, origin=origin
    ):
        _refuse_lost_race(services, signal_id, now)
    services.bus.publish(
        SignalDecided(
            signal_id=signal_id, symbol=signal.symbol, status=OrderStatus.REJECTED, actor=actor
        )
    )
    return Decision(signal_id, OrderStatus.REJECTED, f"{signal.symbol} rejected by {actor}")


def recheck(
    services: Services, signal: TradingSignal, quantity: float, now: datetime, quote: float | None
) -> tuple[str, ...]:
    """Every pre-trade rule, with today's account and a fresh quote."""
    runtime = services.runtime.get()
    side = OrderSide.BUY if signal.signal_type is SignalType.BUY else OrderSide.SELL
    request = TradeRequest(
        symbol=signal.symbol,
        side=side,
        quantity=quantity,
        price=signal.price,
        now=now,
        stop_price=signal.stop_price,
    )
    market = MarketView(is_open=services.market_is_open(), latest_quote=quote)
    account = account_view(
        services.broker, services.calendar, now, {signal.symbol: quote} if quote else None
    )
    check = validate_trade(
        request,
        account=account,
        market=market,
        rules=runtime,
        trading_state=load_trading_status().state,
        commission_per_share=services.settings.trading.broker.commission_per_share,
    )
    return check.reasons


def execute(services: Services, signal: TradingSignal) -> Decision:
    """Send an APPROVED signal's order, after the re-check."""
    now = services.clock.now()
    quote = services.data.latest_prices([signal.symbol]).get(signal.symbol)
    if signal.signal_type is SignalType.SELL:
        held = book.open_position(signal.symbol)
        quantity = held.quantity if held else 0.0
    else:
        quantity = float(signal.quantity)
    reasons = (
        ("nothing to sell: no position",)
        if quantity <= 0
        else recheck(services, signal, quantity, now, quote)
    )
    if reasons:
        transition(signal.id, OrderStatus.APPROVED, OrderStatus.FAILED, "risk", now=now)
        return Decision(
            signal.id, OrderStatus.FAILED, f"{signal.symbol} not sent: " + "; ".join(reasons)
        )
    side = OrderSide.BUY if signal.signal_type is SignalType.BUY else OrderSide.SELL
    outcome = services.orders.submit(
        Intent(
            client_order_id=client_order_id_for(signal.id),
            symbol=signal.symbol,
            side=side,
            quantity=quantity,
            purpose=OrderIntent.OPEN if side is OrderSide.BUY else OrderIntent.REDUCE,
            signal_id=signal.id,
        )
    )
    if side is OrderSide.BUY and outcome.filled_quantity > 0 and signal.stop_price:
        fill = outcome.filled_avg_price or signal.price
        # Keep the planned risk per share when the fill differs from the signal's price.
        stop = fill - (signal.price - signal.stop_price)
        if math.isfinite(stop) and 0 < stop < fill:
            book.set_stops(
                signal.symbol, initial_stop=stop, stop_price=stop, highest_price=fill, now=now
            )
    status = load_signal(signal.id).status
    text = {
        OrderStatus.FILLED: f"{side.value} {outcome.filled_quantity:g} {signal.symbol} filled at "
        f"{outcome.filled_avg_price or 0:.2f}",
        OrderStatus.FAILED: f"{signal.symbol} order failed: {outcome.error}",
    }.get(status, f"{side.value} {quantity:g} {signal.symbol}: order {outcome.status.value}")
    return Decision(signal.id, status, text, outcome)
