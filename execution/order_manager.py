"""The order manager: exactly one broker order per intent (DESIGN §5).

1. The intent is journaled with a deterministic `client_order_id` before anything is
   sent; writing it again returns the same row.
2. Right before the broker call, the trading state (kill switch) and the
   reconciliation health are checked — the one place orders leave the process.
3. The submission is sent once. If the outcome is unknown (timeout, 5xx, dropped
   connection, unreadable answer, 422 duplicate id), the order is looked up by client
   order id: adopted if the broker has it, resubmitted with the same id if not. A second
   id is never used, so the broker itself refuses a duplicate.
4. Fills move the journal, the fills table and the agent's book; the signal follows.
5. Reconciliation (at start and periodically) makes the journal and the book agree with
   the broker, adopts orders it did not send, and blocks new orders while it fails.

Blocking (HTTP and SQLite): the Engine calls it from a worker thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.base.clock import Clock
from core.base.events import (
    Alert,
    Event,
    OrderFailed,
    OrderFilled,
    OrderSubmitted,
    TradingStateChanged,
)
from core.base.types import (
    CLIENT_ORDER_ID_MAX_LENGTH,
    OrderSide,
    OrderStatus,
    OrderType,
    TradingState,
)
from execution.broker import (
    AuthenticationFailed,
    Broker,
    BrokerError,
    BrokerOrder,
    BrokerUnavailable,
    OrderRejected,
    OrderRequest,
    OutcomeUnknown,
)
from risk.trading_state import OrderIntent, change_state, order_allowed
from storage import book, orders
from storage.bot_state import load_trading_status, save_trading_status
from storage.models import Order
from storage.signals import transition

log = logging.getLogger(__name__)

UNKNOWN_OUTCOME = "outcome unknown; reconciliation will settle it"


def client_order_id_for(signal_id: str, leg: str = "entry") -> str:
    """Deterministic and ≤ 48 characters: the same signal always maps to the same id."""
    value = f"sb-{signal_id}-{leg}"
    if len(value) > CLIENT_ORDER_ID_MAX_LENGTH:
        raise ValueError(f"client order id {value!r} is longer than 48 characters")
    return value


@dataclass(frozen=True)
class Intent:
    client_order_id: str
    symbol: str
    side: OrderSide
    quantity: float
    purpose: OrderIntent = OrderIntent.OPEN
    order_type: OrderType = OrderType.MARKET
    limit_price: float | None = None
    stop_price: float | None = None
    signal_id: str | None = None


@dataclass(frozen=True)
class OrderOutcome:
    client_order_id: str
    symbol: str
    status: OrderStatus
    broker_order_id: str | None
    filled_quantity: float
    filled_avg_price: float | None
    error: str | None

    @classmethod
    def of(cls, row: Order) -> OrderOutcome:
        return cls(
            row.client_order_id,
            row.symbol,
            OrderStatus(row.status),
            row.broker_order_id,
            row.filled_quantity,
            row.filled_avg_price,
            row.error,
        )


@dataclass
class ReconcileReport:
    ok: bool
    adopted: list[str] = field(default_factory=list)
    settled: list[str] = field(default_factory=list)
    resubmitted: list[str] = field(default_factory=list)
    corrections: list[str] = field(default_factory=list)
    error: str | None = None


# Which lifecycle moves a signal makes when its order reaches a status.
_SIGNAL_PATH = {
    OrderStatus.SUBMITTED: [(OrderStatus.APPROVED, OrderStatus.SUBMITTED)],
    OrderStatus.PARTIALLY_FILLED: [
        (OrderStatus.APPROVED, OrderStatus.SUBMITTED),
        (OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED),
    ],
    OrderStatus.FILLED: [
        (OrderStatus.APPROVED, OrderStatus.SUBMITTED),
        (OrderStatus.SUBMITTED, OrderStatus.FILLED),
        (OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED),
    ],
    OrderStatus.CANCELLED: [
        (OrderStatus.APPROVED, OrderStatus.CANCELLED),
        (OrderStatus.SUBMITTED, OrderStatus.CANCELLED),
        (OrderStatus.PARTIALLY_FILLED, OrderStatus.CANCELLED),
    ],
    OrderStatus.FAILED: [
        (OrderStatus.APPROVED, OrderStatus.FAILED),
        (OrderStatus.SUBMITTED, OrderStatus.FAILED),
    ],
}


class OrderManager:
    def __init__(
        self,
        broker: Broker,
        *,
        clock: Clock,
        publish: Callable[[Event], None] = lambda event: None,
        resubmit_attempts: int = 2,
        lookup_attempts: int = 5,
        max_intent_age: timedelta = timedelta(minutes=15),
        reconcile_lookback: timedelta = timedelta(days=3),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.broker = broker
        self._clock = clock
        self._publish = publish
        self._resubmit_attempts = resubmit_attempts
        self._lookup_attempts = lookup_attempts
        self._max_intent_age = max_intent_age
        self._reconcile_lookback = reconcile_lookback
        self._sleep = sleep
        self.healthy = False
        """True after a successful reconciliation; new orders are blocked until then."""
        self.blocked_reason = "not reconciled with the broker yet"

    # -- submitting ----------------------------------------------------------------

    def submit(self, intent: Intent) -> OrderOutcome:
        row, created = orders.write_intent(
            client_order_id=intent.client_order_id,
            symbol=intent.symbol,
            side=intent.side,
            quantity=intent.quantity,
            order_type=intent.order_type,
            limit_price=intent.limit_price,
            stop_price=intent.stop_price,
            signal_id=intent.signal_id,
            now=self._clock.now(),
        )
        if not created and OrderStatus(row.status) is not OrderStatus.APPROVED:
            return OrderOutcome.of(row)  # already sent: a retry or a double tap
        return self._send(row, intent.purpose)

    def _fail(self, row: Order, reason: str) -> OrderOutcome:
        orders.update(row, status=OrderStatus.FAILED, error=reason, now=self._clock.now())
        self._sync_signal(row)
        self._publish(
            OrderFailed(
                client_order_id=row.client_order_id,
                symbol=row.symbol,
                reason=reason,
                signal_id=row.signal_id,
            )
        )
        return OrderOutcome.of(row)

    def _request(self, row: Order) -> OrderRequest:
        return OrderRequest(
            client_order_id=row.client_order_id,
            symbol=row.symbol,
            side=OrderSide(row.side),
            quantity=row.quantity,
            order_type=OrderType(row.order_type),
            limit_price=row.limit_price,
            stop_price=row.stop_price,
        )

    def _send(self, row: Order, purpose: OrderIntent) -> OrderOutcome:
        if not self.healthy and purpose is not OrderIntent.FLATTEN:
            return self._fail(row, f"blocked: {self.blocked_reason}")
        # The gate: read the persisted kill switch now, not a copy from earlier.
        allowed, reason = order_allowed(load_trading_status().state, purpose)
        if not allowed:
            return self._fail(row, f"blocked: {reason}")
        request = self._request(row)
        try:
            placed: BrokerOrder | None = self.broker.submit_order(request)
        except OutcomeUnknown as error:
            log.warning(
                "order outcome unknown",
                extra={"client_order_id": row.client_order_id, "why": str(error)},
            )
            placed = self._resolve_unknown(row, request)
        except AuthenticationFailed as error:
            self._halt_for(str(error))
            return self._fail(row, str(error))
        except OrderRejected as error:
            return self._fail(row, str(error))
        except BrokerError as error:
            return self._fail(row, str(error))
        if placed is None:
            orders.update(
                row, status=OrderStatus.SUBMITTED, error=UNKNOWN_OUTCOME, now=self._clock.now()
            )
            return OrderOutcome.of(row)
        self._publish(
            OrderSubmitted(
                client_order_id=row.client_order_id,
                symbol=row.symbol,
                side=OrderSide(row.side),
                quantity=row.quantity,
                signal_id=row.signal_id,
            )
        )
        self._apply(row, placed)
        return OrderOutcome.of(row)

    def _lookup(self, client_order_id: str) -> BrokerOrder | None:
        """The broker's order for this client id; retried while the broker is unreachable."""
        for attempt in range(self._lookup_attempts):
            try:
                return self.broker.get_order_by_client_id(client_order_id)
            except BrokerUnavailable:
                if attempt == self._lookup_attempts - 1:
                    raise
                self._sleep(min(0.5 * 2**attempt, 10.0))
        return None

    def _resolve_unknown(self, row: Order, request: OrderRequest) -> BrokerOrder | None:
        for attempt in range(self._resubmit_attempts + 1):
            try:
                found = self._lookup(request.client_order_id)
            except BrokerUnavailable:
                return None
            if found is not None:
                log.info(
                    "order adopted after unknown outcome",
                    extra={"client_order_id": request.client_order_id},
                )
                return found
            if attempt == self._resubmit_attempts:
                return None
            try:
                # Same client order id: if the first one did arrive, the broker refuses.
                return self.broker.submit_order(request)
            except OutcomeUnknown:
                continue
            except BrokerError as error:
                orders.update(row, error=str(error), now=self._clock.now())
                return None
        return None

    # -- applying broker state -------------------------------------------------------

    def _apply(self, row: Order, placed: BrokerOrder) -> None:
        now = self._clock.now()
        previous_filled = row.filled_quantity or 0.0
        previous_avg = row.filled_avg_price or 0.0
        previous_commission = _commission_recorded(row)
        status = placed.status
        orders.update(
            row,
            status=status,
            broker_order_id=placed.broker_order_id,
            filled_quantity=placed.filled_quantity,
            filled_avg_price=placed.filled_avg_price,
            submitted_at=placed.submitted_at or now,
            now=now,
            error=placed.reject_reason if status is OrderStatus.FAILED else None,
        )
        new = placed.filled_quantity - previous_filled
        if new > 1e-9 and placed.filled_avg_price is not None:
            price = (
                placed.filled_avg_price * placed.filled_quantity - previous_avg * previous_filled
            ) / new
            commission = max(placed.commission - previous_commission, 0.0)
            at = placed.updated_at or now
            orders.record_fill(row, quantity=new, price=price, commission=commission, at=at)
            book.apply_fill(row.symbol, OrderSide(row.side), new, price, commission, at)
            self._publish(
                OrderFilled(
                    client_order_id=row.client_order_id,
                    symbol=row.symbol,
                    side=OrderSide(row.side),
                    quantity=new,
                    price=price,
                    signal_id=row.signal_id,
                )
            )
        if status is OrderStatus.FAILED:
            self._publish(
                OrderFailed(
                    client_order_id=row.client_order_id,
                    symbol=row.symbol,
                    reason=placed.reject_reason or "rejected by the broker",
                    signal_id=row.signal_id,
                )
            )
        self._sync_signal(row)

    def _sync_signal(self, row: Order) -> None:
        if row.signal_id is None:
            return
        for start, end in _SIGNAL_PATH.get(OrderStatus(row.status), []):
            transition(row.signal_id, start, end, "system", now=self._clock.now())

    def _halt_for(self, reason: str) -> None:
        current = load_trading_status()
        if current.state is TradingState.HALTED:
            return
        status = change_state(
            current,
            TradingState.HALTED,
            actor="system",
            reason=f"broker refused the keys: {reason}",
            now=self._clock.now(),
        )
        save_trading_status(status)
        self._publish(TradingStateChanged(status=status, previous=current.state))
        self._publish(
            Alert(severity="critical", source="broker", message=f"Trading HALTED: {reason}")
        )

    # -- tracking and reconciliation ---------------------------------------------------

    def track(self) -> int:
        """Poll the broker for every open order we sent; returns how many changed."""
        changed = 0
        for row in orders.unfinished():
            if row.broker_order_id is None:
                continue
            try:
                placed = self.broker.get_order(row.broker_order_id)
            except BrokerError as error:
                log.warning(
                    "order tracking failed", extra={"order": row.client_order_id, "why": str(error)}
                )
                continue
            if placed.status.value != row.status or placed.filled_quantity != row.filled_quantity:
                self._apply(row, placed)
                changed += 1
        return changed

    def reconcile(self) -> ReconcileReport:
        """Make the journal and the book agree with the broker (the truth)."""
        report = ReconcileReport(ok=False)
        now = self._clock.now()
        try:
            unsent = self._settle_journal(report, now)
            self._adopt_external(report, now)
            report.corrections.extend(self._correct_book(now))
        except BrokerError as error:
            self.healthy = False
            self.blocked_reason = f"reconciliation with the broker failed ({error})"
            report.error = str(error)
            self._publish(
                Alert(
                    severity="critical",
                    source="reconciliation",
                    message=f"Reconciliation failed; new orders are blocked: {error}",
                )
            )
            return report
        self.healthy = True
        self.blocked_reason = ""
        report.ok = True
        for row in unsent:
            purpose = OrderIntent.REDUCE if row.side == OrderSide.SELL.value else OrderIntent.OPEN
            self._send(row, purpose)
            report.resubmitted.append(row.client_order_id)
        if report.adopted or report.corrections:
            self._publish(
                Alert(
                    severity="warning",
                    source="reconciliation",
                    message="Reconciliation changed the books: "
                    + "; ".join(
                        [*(f"adopted {cid}" for cid in report.adopted), *report.corrections]
                    ),
                )
            )
        return report

    def _settle_journal(self, report: ReconcileReport, now: datetime) -> list[Order]:
        """Settle open journal rows; returns intents that were never sent and are still
        young enough to send once reconciliation has succeeded."""
        unsent = []
        for row in orders.unfinished():
            placed = self.broker.get_order_by_client_id(row.client_order_id)
            if placed is not None:
                self._apply(row, placed)
                report.settled.append(row.client_order_id)
                continue
            if OrderStatus(row.status) is OrderStatus.APPROVED:
                # Written but never sent (the process stopped in between).
                if now - row.created_at <= self._max_intent_age:
                    unsent.append(row)
                else:
                    self._fail(row, "not sent before a restart and now too old to send")
                continue
            self._fail(row, "the broker has no order with this client order id")
        return unsent

    def _adopt_external(self, report: ReconcileReport, now: datetime) -> None:
        for placed in self.broker.list_orders("all", since=now - self._reconcile_lookback):
            if orders.get_by_client_id(placed.client_order_id) is not None:
                continue
            row = orders.adopt_external(
                client_order_id=placed.client_order_id,
                broker_order_id=placed.broker_order_id,
                symbol=placed.symbol,
                side=placed.side,
                quantity=placed.quantity,
                order_type=placed.order_type,
                status=OrderStatus.SUBMITTED,
                now=now,
            )
            # Fills of adopted orders are journaled, but the book is set from the
            # broker's positions below, so they do not move it twice.
            orders.update(
                row,
                status=placed.status,
                filled_quantity=placed.filled_quantity,
                filled_avg_price=placed.filled_avg_price,
                now=now,
            )
            report.adopted.append(placed.client_order_id)

    def _correct_book(self, now: datetime) -> list[str]:
        held = {p.symbol: p for p in self.broker.get_positions()}
        symbols = sorted(set(held) | {p.symbol for p in book.open_positions()})
        changes = []
        for symbol in symbols:
            position = held.get(symbol)
            quantity = position.quantity if position else 0.0
            price = position.avg_entry_price if position else 0.0
            change = book.correct_to_broker(symbol, quantity, price, now)
            if change:
                changes.append(change)
        return changes

    # -- kill switch -------------------------------------------------------------------

    def cancel_open(self) -> int:
        """Cancel every open order at the broker; returns how many journal rows closed."""
        self.broker.cancel_all()
        before = len(orders.unfinished())
        self.track()
        return before - len(orders.unfinished())

    def flatten(self, *, actor: str) -> list[OrderOutcome]:
        """Close every position the broker reports, journaled like any order."""
        stamp = f"{self._clock.now():%Y%m%d%H%M%S}"
        outcomes = []
        for position in self.broker.get_positions():
            if position.quantity <= 0:
                continue
            intent = Intent(
                client_order_id=f"sb-flat-{position.symbol}-{stamp}",
                symbol=position.symbol,
                side=OrderSide.SELL,
                quantity=position.quantity,
                purpose=OrderIntent.FLATTEN,
            )
            log.info("flatten", extra={"symbol": position.symbol, "actor": actor})
            outcomes.append(self.submit(intent))
        return outcomes


def _commission_recorded(row: Order) -> float:
    return sum(fill.commission for fill in row.fills)
