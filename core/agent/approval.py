"""Approving, rejecting and executing signals — the one path every decision takes,
whether a person taps Approve or the mode executes by itself (DESIGN §4).

An approval wins the signal with a compare-and-set AND journals its order intent in the
same transaction, so no crash can leave an approved signal without an order. Then the
pre-trade gate re-checks everything at that moment — kill switch, market open, a fresh
quote within the price collar, risk limits, buying power — and the journaled intent is
either sent or marked failed with its reasons. An intent a crash left unsent is
re-checked at the next start the same way, and whoever approved it is told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.agent.gate import check_trade, read_gate_view
from core.agent.services import Services
from core.base.errors import AlreadyDecided, NotFound, SignalExpiredError
from core.base.events import Alert, SignalDecided, SignalExpired
from core.base.settings import RuntimeSettings
from core.base.types import ExitReason, OrderSide, OrderStatus, SignalType, TradingSignal
from execution.order_manager import OrderIntent, OrderOutcome, client_order_id_for
from risk.trading_state import OrderPurpose
from storage import book, orders
from storage.journal import approve_with_intent, approved_without_order
from storage.orders import OrderRow
from storage.signals import SignalNotFound, decided_by, get_signal, transition


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


def _intent(signal: TradingSignal, quantity: float) -> OrderIntent:
    buying = signal.signal_type is SignalType.BUY
    return OrderIntent(
        client_order_id=client_order_id_for(signal.id),
        symbol=signal.symbol,
        side=OrderSide.BUY if buying else OrderSide.SELL,
        quantity=quantity,
        purpose=OrderPurpose.OPEN if buying else OrderPurpose.REDUCE,
        reason=ExitReason.SIGNAL,
        signal_id=signal.id,
    )


def _quantity(signal: TradingSignal) -> float:
    """A BUY buys what the signal was sized at; a SELL closes what the book holds now."""
    if signal.signal_type is SignalType.BUY:
        return float(signal.quantity)
    held = book.open_position(signal.symbol)
    return held.quantity if held else 0.0


def approve(
    services: Services,
    signal_id: str,
    actor: str,
    origin: str | None = None,
    runtime: RuntimeSettings | None = None,
) -> Decision:
    now = services.clock.now()
    signal = load_signal(signal_id)
    quantity = _quantity(signal)
    if quantity <= 0:
        if not transition(
            signal_id, OrderStatus.PENDING, OrderStatus.APPROVED, actor, now=now, origin=origin
        ):
            _refuse_lost_race(services, signal_id, now)
        _announce(services, signal, actor)
        transition(signal.id, OrderStatus.APPROVED, OrderStatus.FAILED, "risk", now=now)
        return Decision(signal.id, OrderStatus.FAILED, f"{signal.symbol} not sent: no position")
    row = approve_with_intent(
        signal_id, _intent(signal, quantity).fields(), actor=actor, origin=origin, now=now
    )
    if row is None:
        _refuse_lost_race(services, signal_id, now)
    assert row is not None
    _announce(services, signal, actor)
    return execute(services, signal, row, runtime)


def _announce(services: Services, signal: TradingSignal, actor: str) -> None:
    services.bus.publish(
        SignalDecided(
            signal_id=signal.id, symbol=signal.symbol, status=OrderStatus.APPROVED, actor=actor
        )
    )


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
    services: Services,
    signal: TradingSignal,
    row: OrderRow,
    runtime: RuntimeSettings | None = None,
) -> tuple[str, ...]:
    """Every pre-trade rule for the journaled intent, with a fresh quote and today's
    account: the same gate the cycle used."""
    now = services.clock.now()
    quote = services.data.latest_prices([signal.symbol]).get(signal.symbol)
    view = read_gate_view(
        services, runtime or services.runtime.get(), now, {signal.symbol: quote} if quote else None
    )
    return check_trade(
        view,
        symbol=signal.symbol,
        side=OrderSide(row.side),
        quantity=row.quantity,
        price=signal.price,
        stop_price=signal.stop_price,
        quote=quote,
    )


def execute(
    services: Services,
    signal: TradingSignal,
    row: OrderRow,
    runtime: RuntimeSettings | None = None,
) -> Decision:
    """Send an approved signal's journaled intent after the re-check, or fail it."""
    reasons = recheck(services, signal, row, runtime)
    if reasons:
        outcome = services.desk.orders.fail(row, "not sent: " + "; ".join(reasons))
        return Decision(
            signal.id,
            OrderStatus.FAILED,
            f"{signal.symbol} not sent: " + "; ".join(reasons),
            outcome,
        )
    outcome = services.desk.orders.send(row)
    status = load_signal(signal.id).status
    side = OrderSide(row.side)
    text = {
        OrderStatus.FILLED: f"{side.value} {outcome.filled_quantity:g} {signal.symbol} filled at "
        f"{outcome.filled_avg_price or 0:.2f}",
        OrderStatus.FAILED: f"{signal.symbol} order failed: {outcome.error}",
    }.get(status, f"{side.value} {row.quantity:g} {signal.symbol}: order {outcome.status.value}")
    return Decision(signal.id, status, text, outcome)


def settle_interrupted(services: Services, unsent: list[OrderRow]) -> list[Decision]:
    """After a restart: every approved signal whose order never went out is re-checked
    and sent, or failed with its reasons — and whoever approved it is told."""
    decisions = []
    now = services.clock.now()
    for signal_id in approved_without_order():
        signal = load_signal(signal_id)
        quantity = _quantity(signal)
        row, _ = orders.write_intent(_intent(signal, max(quantity, 0.0)).fields(), now)
        unsent.append(row)
    for row in unsent:
        if row.signal_id is None:
            continue
        signal = load_signal(row.signal_id)
        if row.quantity <= 0:
            services.desk.orders.fail(row, "nothing to sell: no position")
            decision = Decision(signal.id, OrderStatus.FAILED, f"{signal.symbol}: no position")
        else:
            decision = execute(services, signal, row)
        decisions.append(decision)
        approver = decided_by(signal.id) or "someone"
        services.bus.publish(
            Alert(
                severity="warning",
                source="approval",
                message=f"The approval of {signal.signal_type.value.upper()} {signal.symbol} "
                f"by {approver} was interrupted by a restart; after a fresh re-check: "
                f"{decision.message}",
            )
        )
    return decisions
