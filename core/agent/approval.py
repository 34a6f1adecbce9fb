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

import math
from dataclasses import dataclass, replace
from datetime import datetime

from core.agent.gate import check_trade, read_gate_view
from core.agent.order_choices import QUEUE_LEAD, OrderChange, Timing, check_change
from core.agent.services import Services
from core.base.errors import AlreadyDecided, InvalidRequest, NotFound, SignalExpiredError
from core.base.events import Alert, SignalDecided, SignalExpired
from core.base.explain import when, zone
from core.base.settings import RuntimeSettings
from core.base.types import (
    ExitReason,
    OrderSide,
    OrderStatus,
    OrderType,
    SignalType,
    TradingSignal,
)
from execution.broker import BrokerError
from execution.order_manager import OrderIntent, OrderOutcome, client_order_id_for
from risk.trading_state import OrderPurpose
from storage.orders import OrderRow
from storage.port import Store
from storage.signals import SignalNotFound


@dataclass(frozen=True)
class Decision:
    signal_id: str
    status: OrderStatus
    """The signal's status after the decision (filled, submitted, failed, rejected …)."""
    message: str
    order: OrderOutcome | None = None


def load_signal(store: Store, signal_id: str) -> TradingSignal:
    try:
        return store.signals.get_signal(signal_id)
    except SignalNotFound as error:
        raise NotFound(f"no signal {signal_id}") from error


def _refuse_lost_race(services: Services, signal_id: str, now: datetime) -> None:
    current = load_signal(services.store, signal_id)
    if current.status is OrderStatus.PENDING and current.expires_at <= now:
        expire(services, current, now)
        raise SignalExpiredError(
            f"signal {signal_id} expired at {current.expires_at:%H:%M} UTC; prices have moved on"
        )
    if current.status is OrderStatus.EXPIRED:
        raise SignalExpiredError(f"signal {signal_id} has expired")
    raise AlreadyDecided(f"signal {signal_id} is already {current.status.value}")


def expire(services: Services, signal: TradingSignal, now: datetime) -> bool:
    if services.store.signals.transition(
        signal.id, OrderStatus.PENDING, OrderStatus.EXPIRED, "system", now=now
    ):
        services.bus.publish(SignalExpired(signal_id=signal.id, symbol=signal.symbol))
        return True
    return False


def _intent(
    signal: TradingSignal,
    quantity: float,
    change: OrderChange | None = None,
    timing: Timing = "now",
    send_after: datetime | None = None,
) -> OrderIntent:
    buying = signal.signal_type is SignalType.BUY
    limit = change.limit_price if change else None
    return OrderIntent(
        client_order_id=client_order_id_for(signal.id),
        symbol=signal.symbol,
        side=OrderSide.BUY if buying else OrderSide.SELL,
        quantity=quantity,
        purpose=OrderPurpose.OPEN if buying else OrderPurpose.REDUCE,
        order_type=OrderType.LIMIT if limit is not None else OrderType.MARKET,
        limit_price=limit,
        time_in_force="opg" if timing == "open" else "day",
        reason=ExitReason.SIGNAL,
        signal_id=signal.id,
        planned_stop=change.stop_price if change else None,
        send_after=send_after,
        extended_hours=timing == "extended",
    )


def _changed_quantity(signal: TradingSignal, quantity: float, change: OrderChange | None) -> float:
    """Half size (or any share) of what the signal proposes: whole shares, at least one."""
    if change is None or change.size_factor == 1.0:
        return quantity
    return float(max(math.floor(quantity * change.size_factor), 1)) if quantity >= 1 else quantity


def next_open(services: Services) -> datetime:
    """From the broker's clock (it knows half days and halts), else the calendar."""
    try:
        return services.broker.get_clock().next_open
    except BrokerError:
        return services.calendar.next_open(services.clock.now())


def _quantity(store: Store, signal: TradingSignal) -> float:
    """A BUY buys what the signal was sized at; a SELL closes what the book holds now."""
    if signal.signal_type is SignalType.BUY:
        return float(signal.quantity)
    held = store.book.open_position(signal.symbol)
    return held.quantity if held else 0.0


def approve(
    services: Services,
    signal_id: str,
    actor: str,
    origin: str | None = None,
    runtime: RuntimeSettings | None = None,
    *,
    change: OrderChange | None = None,
    timing: Timing = "now",
) -> Decision:
    """Approve a signal — as proposed, or with a person's `change` — to be sent `now`,
    at the next `open`, or for `extended` hours."""
    now = services.clock.now()
    signal = load_signal(services.store, signal_id)
    if change is not None or timing != "now":
        check_change(signal, change or OrderChange(), timing)
    if signal.status is OrderStatus.PENDING and signal.expires_at <= now:
        _refuse_lost_race(services, signal_id, now)
    if timing == "now" and signal.status is OrderStatus.PENDING and not services.market_is_open():
        # Not a failure to record: the person chooses how to trade outside the session.
        raise InvalidRequest(
            f"the market is closed: approve {signal.symbol} for the open (market-on-open) "
            "or for extended hours (a limit order)",
            {"timing": "the market is closed"},
        )
    send_after = next_open(services) - QUEUE_LEAD if timing == "open" else None
    if send_after is not None and send_after <= now:
        send_after = None  # the open is near: the market-on-open order goes out now
    quantity = _changed_quantity(signal, _quantity(services.store, signal), change)
    if quantity <= 0:
        if not services.store.signals.transition(
            signal_id, OrderStatus.PENDING, OrderStatus.APPROVED, actor, now=now, origin=origin
        ):
            _refuse_lost_race(services, signal_id, now)
        _announce(services, signal, actor)
        services.store.signals.transition(
            signal.id, OrderStatus.APPROVED, OrderStatus.FAILED, "risk", now=now
        )
        return Decision(signal.id, OrderStatus.FAILED, f"{signal.symbol} not sent: no position")
    intent = _intent(signal, quantity, change, timing, send_after)
    changes = {
        **(change.describe() if change else {}),
        **({"timing": timing} if timing != "now" else {}),
    }
    row = services.store.journal.approve_with_intent(
        signal_id, intent.fields(), actor=actor, origin=origin, now=now, changes=changes
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
    signal = load_signal(services.store, signal_id)
    if not services.store.signals.transition(
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
    account: the same gate the cycle used. An order for the open or for extended hours
    is not refused for the regular session being closed."""
    now = services.clock.now()
    quote = services.data.latest_prices([signal.symbol]).get(signal.symbol)
    view = read_gate_view(
        services, runtime or services.runtime.get(), now, {signal.symbol: quote} if quote else None
    )
    if row.time_in_force == "opg" or row.extended_hours:
        view = replace(view, market_open=True)
    return check_trade(
        view,
        symbol=signal.symbol,
        side=OrderSide(row.side),
        quantity=row.quantity,
        price=row.limit_price if row.limit_price is not None else signal.price,
        stop_price=row.planned_stop if row.planned_stop is not None else signal.stop_price,
        quote=quote,
    )


def execute(
    services: Services,
    signal: TradingSignal,
    row: OrderRow,
    runtime: RuntimeSettings | None = None,
) -> Decision:
    """Send an approved signal's journaled intent after the re-check, or fail it. An
    intent for the next open waits, re-checked now and again just before it goes."""
    reasons = recheck(services, signal, row, runtime)
    if reasons:
        outcome = services.desk.orders.fail(row, "not sent: " + "; ".join(reasons))
        return Decision(
            signal.id,
            OrderStatus.FAILED,
            f"{signal.symbol} not sent: " + "; ".join(reasons),
            outcome,
        )
    if row.send_after is not None and row.send_after > services.clock.now():
        return Decision(
            signal.id,
            OrderStatus.APPROVED,
            f"{describe_order(row)}: queued for the open; re-checked and sent "
            f"{when(row.send_after, zone(services.settings.trading.timezone))}",
            OrderOutcome.of(row),
        )
    if row.time_in_force == "opg" and services.market_is_open():
        services.store.orders.set_time_in_force(
            row, "day", services.clock.now()
        )  # the open has come
    outcome = services.desk.orders.send(row)
    status = load_signal(services.store, signal.id).status
    text = {
        OrderStatus.FILLED: f"{describe_order(row)} filled {outcome.filled_quantity:g} at "
        f"{outcome.filled_avg_price or 0:.2f}",
        OrderStatus.FAILED: f"{signal.symbol} order failed: {outcome.error}",
    }.get(status, f"{describe_order(row)}: order {outcome.status.value}")
    return Decision(signal.id, status, text, outcome)


def describe_order(row: OrderRow) -> str:
    """The final order as a person reads it: "buy 5 PLTR limit 24.80, stop 23.50"."""
    parts = [f"{row.side} {row.quantity:g} {row.symbol}"]
    if row.limit_price is not None:
        parts.append(f"limit {row.limit_price:.2f}")
    if row.time_in_force == "opg":
        parts.append("at the open")
    if row.extended_hours:
        parts.append("extended hours")
    text = " ".join(parts)
    if row.planned_stop is not None:
        text += f", stop {row.planned_stop:.2f}"
    return text


@dataclass(frozen=True)
class QueuedOrder:
    signal_id: str
    order: str
    """The order as a person reads it."""
    send_after: datetime
    approved_by: str | None


def queued_orders(store: Store) -> list[QueuedOrder]:
    return [
        QueuedOrder(
            row.signal_id,
            describe_order(row),
            row.send_after,
            store.signals.decided_by(row.signal_id),
        )
        for row in store.orders.queued()
        if row.signal_id is not None and row.send_after is not None
    ]


def send_queued(services: Services) -> list[Decision]:
    """Just before the open: every intent approved for the open is re-checked, then
    sent market-on-open (or failed with its reasons, and its approver told)."""
    decisions = []
    now = services.clock.now()
    for row in services.store.orders.queued():
        if row.send_after is None or row.send_after > now or row.signal_id is None:
            continue
        signal = load_signal(services.store, row.signal_id)
        services.store.orders.clear_send_after(row, now)
        decision = execute(services, signal, row)
        decisions.append(decision)
        if decision.status is OrderStatus.FAILED:
            approver = services.store.signals.decided_by(signal.id) or "someone"
            services.bus.publish(
                Alert(
                    severity="warning",
                    source="approval",
                    message=f"The order for the open approved by {approver} was not sent "
                    f"after the re-check: {decision.message}",
                )
            )
    return decisions


def cancel_queued(services: Services, signal_id: str, actor: str, origin: str | None) -> Decision:
    """Withdraw an order approved for the open before it goes out."""
    row = services.store.orders.get_by_signal(signal_id)
    if row is None or row.send_after is None or OrderStatus(row.status) is not OrderStatus.APPROVED:
        raise NotFound(f"no order waiting for the open for signal {signal_id}")
    services.desk.orders.fills.cancelled(row, f"cancelled by {actor} before the open")
    services.store.audit.record(
        actor, "order.cancelled", {"signal_id": signal_id}, origin=origin, at=services.clock.now()
    )
    return Decision(signal_id, OrderStatus.CANCELLED, f"{describe_order(row)}: cancelled")


def settle_interrupted(services: Services, unsent: list[OrderRow]) -> list[Decision]:
    """After a restart: every approved signal whose order never went out is re-checked
    and sent, or failed with its reasons — and whoever approved it is told."""
    decisions = []
    now = services.clock.now()
    for signal_id in services.store.journal.approved_without_order():
        signal = load_signal(services.store, signal_id)
        quantity = _quantity(services.store, signal)
        row, _ = services.store.orders.write_intent(
            _intent(signal, max(quantity, 0.0)).fields(), now
        )
        unsent.append(row)
    for row in unsent:
        if row.signal_id is None:
            continue
        signal = load_signal(services.store, row.signal_id)
        if row.quantity <= 0:
            services.desk.orders.fail(row, "nothing to sell: no position")
            decision = Decision(signal.id, OrderStatus.FAILED, f"{signal.symbol}: no position")
        else:
            decision = execute(services, signal, row)
        decisions.append(decision)
        approver = services.store.signals.decided_by(signal.id) or "someone"
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
