"""The order manager: exactly one broker order per intent (DESIGN §5).

1. The intent is journaled with a deterministic `client_order_id` and its purpose
   (open, reduce, flatten, protect) before anything is sent; writing it again returns
   the same row.
2. `_gate` runs right before EVERY call that can put an order at the broker — the
   first send, each resend after an unknown outcome, a replace: it reads the persisted
   trading state now and the reconciliation health. HALTED lets through only a
   flatten's closing orders and protective-stop maintenance.
3. The submission is sent once. If the outcome is unknown (timeout, 5xx, dropped
   connection, unreadable answer, 422 duplicate id), the order is looked up by client
   order id: adopted if the broker has it, resent with the same id if not (after the
   gate again). A second id is never used, so the broker itself refuses a duplicate.
4. Every broker answer goes through the one fill handler (`execution.fills`).
5. An exit (a SELL signal, the time exit, a flatten) first cancels the protective stop
   and waits for the broker to confirm, then sells what is still held — never
   "insufficient qty" because the stop holds the shares; if the exit cannot be sent,
   the position is protected again.

Reconciliation, protective stops and the durable flatten are in their own modules and
use this one. Blocking (HTTP and SQLite): the Engine calls it from a worker thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.base.clock import Clock
from core.base.events import Alert, Event, OrderSubmitted
from core.base.types import (
    CLIENT_ORDER_ID_MAX_LENGTH,
    FINAL_STATUSES,
    ExitReason,
    OrderSide,
    OrderStatus,
    OrderType,
    TradingState,
    TradingStatus,
)
from execution.broker import (
    AuthenticationFailed,
    Broker,
    BrokerError,
    BrokerOrder,
    BrokerUnavailable,
    OrderNotFound,
    OrderRequest,
    OutcomeUnknown,
    ReplaceRequest,
    TimeInForce,
)
from execution.fills import FillHandler
from execution.trading_state import TradingStateKeeper
from risk.trading_state import OrderPurpose, change_state, order_allowed
from storage.orders import IntentFields, OrderRow
from storage.port import Store

log = logging.getLogger(__name__)

UNKNOWN_OUTCOME = "outcome unknown; reconciliation will settle it"
_EPSILON = 1e-9


def client_order_id_for(signal_id: str, leg: str = "entry") -> str:
    """Deterministic and ≤ 48 characters: the same signal always maps to the same id."""
    value = f"sb-{signal_id}-{leg}"
    if len(value) > CLIENT_ORDER_ID_MAX_LENGTH:
        raise ValueError(f"client order id {value!r} is longer than 48 characters")
    return value


@dataclass(frozen=True)
class OrderIntent:
    client_order_id: str
    symbol: str
    side: OrderSide
    quantity: float
    purpose: OrderPurpose = OrderPurpose.OPEN
    order_type: OrderType = OrderType.MARKET
    limit_price: float | None = None
    stop_price: float | None = None
    time_in_force: TimeInForce = "day"
    reason: ExitReason | None = None
    signal_id: str | None = None
    planned_stop: float | None = None
    send_after: datetime | None = None
    extended_hours: bool = False

    def fields(self) -> IntentFields:
        return IntentFields(
            client_order_id=self.client_order_id,
            symbol=self.symbol,
            side=self.side,
            quantity=self.quantity,
            purpose=self.purpose.value,
            order_type=self.order_type,
            limit_price=self.limit_price,
            stop_price=self.stop_price,
            time_in_force=self.time_in_force,
            reason=self.reason.value if self.reason else None,
            signal_id=self.signal_id,
            planned_stop=self.planned_stop,
            send_after=self.send_after,
            extended_hours=self.extended_hours,
        )


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
    def of(cls, row: OrderRow) -> OrderOutcome:
        """From a journal record (stores update the record they hand out)."""
        return cls(
            row.client_order_id,
            row.symbol,
            OrderStatus(row.status),
            row.broker_order_id,
            row.filled_quantity,
            row.filled_avg_price,
            row.error,
        )


class ExitGuard:
    """What an exit must do around its order: free the shares first, protect again if
    the exit does not go out (set by the protective-stop keeper)."""

    def release(self, symbol: str) -> bool:
        """Cancel the symbol's protective stop and wait for the broker; False when the
        cancel could not be confirmed (then nothing is sold)."""
        return True

    def restore(self, symbol: str) -> None:
        """Protect what the exit does not hold (all of it when the exit failed)."""


class OrderManager:
    def __init__(
        self,
        broker: Broker,
        *,
        store: Store,
        clock: Clock,
        publish: Callable[[Event], None] = lambda event: None,
        trading_state: TradingStateKeeper | None = None,
        resubmit_attempts: int = 2,
        lookup_attempts: int = 5,
        cancel_wait: timedelta = timedelta(seconds=10),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.broker = broker
        self.store = store
        self._clock = clock
        self._publish = publish
        self.trading_state = trading_state or TradingStateKeeper(store.state, publish)
        self.fills = FillHandler(store=store, clock=clock, publish=publish)
        self.exits = ExitGuard()
        self._resubmit_attempts = resubmit_attempts
        self._lookup_attempts = lookup_attempts
        self._cancel_wait = cancel_wait
        self._sleep = sleep
        self.healthy = False
        """True after a successful reconciliation; new orders are blocked until then."""
        self.blocked_reason = "not reconciled with the broker yet"
        self.lock = threading.RLock()
        """Held while an intent is being sent and while reconciling: one order desk."""
        self.in_flight: set[str] = set()
        """Client order ids this process is sending right now (reconciliation leaves
        them alone; after a crash the set is empty)."""

    @property
    def clock(self) -> Clock:
        return self._clock

    def publish(self, event: Event) -> None:
        self._publish(event)

    # -- submitting ----------------------------------------------------------------

    def submit(self, intent: OrderIntent) -> OrderOutcome:
        """Journal the intent, then send it (an exit frees its shares first)."""
        row, created = self.store.orders.write_intent(intent.fields(), self._clock.now())
        if not created and OrderStatus(row.status) is not OrderStatus.APPROVED:
            return OrderOutcome.of(row)  # already sent: a retry or a double tap
        return self.send(row)

    def send(self, row: OrderRow) -> OrderOutcome:
        """Send a journaled intent that has not gone out yet."""
        with self.lock:
            self.in_flight.add(row.client_order_id)
            try:
                if _is_exit(row):
                    return self._send_exit(row)
                return self._send(row)
            finally:
                self.in_flight.discard(row.client_order_id)

    def gate(self, purpose: OrderPurpose) -> str | None:
        """Why an order of this purpose may not leave the process now (None: it may).
        Reads the persisted trading state at this moment."""
        if not self.healthy and purpose not in (OrderPurpose.FLATTEN, OrderPurpose.PROTECT):
            return f"blocked: {self.blocked_reason}"
        allowed, reason = order_allowed(self.trading_state.state(), purpose)
        return None if allowed else f"blocked: {reason}"

    def fail(self, row: OrderRow, reason: str) -> OrderOutcome:
        self.fills.fail(row, reason)
        return OrderOutcome.of(row)

    def _send_exit(self, row: OrderRow) -> OrderOutcome:
        """Free the shares held by the protective stop, then sell what is still held."""
        blocked = self.gate(OrderPurpose(row.purpose))
        if blocked:  # checked before the stop is touched: a blocked exit keeps it
            return self.fail(row, blocked)
        if not self.exits.release(row.symbol):
            return self.fail(row, "the protective stop could not be cancelled; nothing sold")
        held = self._broker_quantity(row.symbol)
        if held is None:
            self.exits.restore(row.symbol)
            return self.fail(row, "the broker's position could not be read; nothing sold")
        if held <= _EPSILON:
            self.fills.cancelled(row, "nothing held any more (the protective stop filled first)")
            return OrderOutcome.of(row)
        if held + _EPSILON < row.quantity:
            self.store.orders.shrink_intent(row, held, self._clock.now())
        outcome = self._send(row)
        # Whatever the exit did, the shares it does not hold keep a stop.
        self.exits.restore(row.symbol)
        return outcome

    def _broker_quantity(self, symbol: str) -> float | None:
        try:
            positions = self.broker.get_positions()
        except BrokerError as error:
            log.warning("positions unavailable", extra={"symbol": symbol, "why": str(error)})
            return None
        return sum(p.quantity for p in positions if p.symbol == symbol)

    def _request(self, row: OrderRow) -> OrderRequest:
        return OrderRequest(
            client_order_id=row.client_order_id,
            symbol=row.symbol,
            side=OrderSide(row.side),
            quantity=row.quantity,
            order_type=OrderType(row.order_type),
            limit_price=row.limit_price,
            stop_price=row.stop_price,
            time_in_force=_time_in_force(row.time_in_force),
            extended_hours=bool(row.extended_hours),
        )

    def _send(self, row: OrderRow) -> OrderOutcome:
        purpose = OrderPurpose(row.purpose)
        blocked = self.gate(purpose)
        if blocked:
            return self.fail(row, blocked)
        request = self._request(row)
        try:
            placed: BrokerOrder | None = self.broker.submit_order(request)
        except OutcomeUnknown as error:
            log.warning(
                "order outcome unknown",
                extra={"client_order_id": row.client_order_id, "why": str(error)},
            )
            placed = self._resolve_unknown(row, request, purpose)
        except AuthenticationFailed as error:
            self._halt_for(str(error))
            return self.fail(row, str(error))
        except BrokerError as error:
            return self.fail(row, str(error))
        if placed is None:
            row = self.store.orders.reload(row)
            if OrderStatus(row.status) is OrderStatus.APPROVED:
                now = self._clock.now()
                self.store.orders.update(
                    row,
                    status=OrderStatus.SUBMITTED,
                    error=row.error or UNKNOWN_OUTCOME,
                    submitted_at=now,
                    now=now,
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
        self.fills.apply(row, placed)
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

    def _resolve_unknown(
        self, row: OrderRow, request: OrderRequest, purpose: OrderPurpose
    ) -> BrokerOrder | None:
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
            blocked = self.gate(purpose)
            if blocked:
                # Not resent. The first request may still arrive late; the row stays
                # open (outcome unknown), so tracking and reconciliation keep looking
                # it up by client order id and a kill cancels it if it appears.
                self.store.orders.update(
                    row, error=f"{UNKNOWN_OUTCOME}; not resent ({blocked})", now=self._clock.now()
                )
                log.warning("resend blocked", extra={"client_order_id": row.client_order_id})
                return None
            try:
                # Same client order id: if the first one did arrive, the broker refuses.
                return self.broker.submit_order(request)
            except OutcomeUnknown:
                continue
            except BrokerError as error:
                self.store.orders.update(row, error=str(error), now=self._clock.now())
                return None
        return None

    def _halt_for(self, reason: str) -> None:
        def halt(current: TradingStatus) -> TradingStatus | None:
            if current.state is TradingState.HALTED:
                return None
            return change_state(
                current,
                TradingState.HALTED,
                actor="system",
                reason=f"broker refused the keys: {reason}",
                now=self._clock.now(),
            )

        if self.trading_state.change(halt) is not None:
            self._publish(
                Alert(severity="critical", source="broker", message=f"Trading HALTED: {reason}")
            )

    # -- changing and cancelling ---------------------------------------------------

    def replace(self, row: OrderRow, intent: OrderIntent) -> OrderOutcome:
        """Replace a working order by a new one (journaled first) in one broker call;
        the old one ends cancelled. On failure the old one stays as it was."""
        new, created = self.store.orders.write_intent(intent.fields(), self._clock.now())
        if not created and OrderStatus(new.status) is not OrderStatus.APPROVED:
            return OrderOutcome.of(new)
        blocked = self.gate(intent.purpose)
        if blocked:
            return self.fail(new, blocked)
        if row.broker_order_id is None:
            return self.fail(new, "the order to replace is not known at the broker")
        change = ReplaceRequest(
            client_order_id=intent.client_order_id,
            quantity=intent.quantity,
            stop_price=intent.stop_price,
        )
        try:
            placed: BrokerOrder | None = self.broker.replace_order(row.broker_order_id, change)
        except OutcomeUnknown:
            try:
                placed = self._lookup(intent.client_order_id)
            except BrokerUnavailable:
                placed = None
        except BrokerError as error:
            return self.fail(new, f"replace refused: {error}")
        if placed is None:
            self.refresh(row)
            return self.fail(new, "replace not confirmed by the broker")
        self.fills.apply(new, placed)
        self.refresh(row)
        return OrderOutcome.of(new)

    def refresh(self, row: OrderRow) -> OrderOutcome:
        """Read one order from the broker now and apply what it says."""
        try:
            if row.broker_order_id is not None:
                placed: BrokerOrder | None = self.broker.get_order(row.broker_order_id)
            else:
                placed = self._lookup(row.client_order_id)
        except OrderNotFound:
            placed = None
        except BrokerError as error:
            log.warning("order refresh failed", extra={"order": row.client_order_id, "why": error})
            return OrderOutcome.of(row)
        if placed is not None:
            self.fills.apply(row, placed)
        return OrderOutcome.of(row)

    def cancel(self, row: OrderRow) -> OrderOutcome:
        """Cancel one order and wait until the broker shows it final (cancelled, or
        filled meanwhile). An intent that never reached the broker is withdrawn."""
        row = self.store.orders.reload(row)
        if OrderStatus(row.status) in FINAL_STATUSES:
            return OrderOutcome.of(row)
        if row.client_order_id in self.in_flight:
            return OrderOutcome.of(row)
        if row.broker_order_id is None:
            try:
                found = self._lookup(row.client_order_id)
            except BrokerUnavailable:
                return OrderOutcome.of(row)
            if found is None:
                self.fills.cancelled(row, "cancelled before it reached the broker")
                return OrderOutcome.of(row)
            self.fills.apply(row, found)
            row = self.store.orders.reload(row)
        assert row.broker_order_id is not None  # adopted or sent just above
        try:
            self.broker.cancel_order(row.broker_order_id)
        except BrokerError as error:
            log.warning("cancel failed", extra={"order": row.client_order_id, "why": str(error)})
        deadline = time.monotonic() + self._cancel_wait.total_seconds()
        while True:
            outcome = self.refresh(row)
            if outcome.status in FINAL_STATUSES or time.monotonic() >= deadline:
                return outcome
            self._sleep(0.2)

    def cancel_working(self, *, purposes: tuple[OrderPurpose, ...]) -> list[OrderOutcome]:
        """Cancel every working order of these purposes, each confirmed by the broker."""
        outcomes = []
        for row in self.store.orders.unfinished():
            if OrderPurpose(row.purpose) in purposes:
                outcomes.append(self.cancel(row))
        return outcomes

    # -- tracking ------------------------------------------------------------------

    def track(self) -> int:
        """Poll the broker for every open order we sent; returns how many changed."""
        changed = 0
        for row in self.store.orders.unfinished():
            if row.client_order_id in self.in_flight:
                continue
            if row.broker_order_id is None:
                if OrderStatus(row.status) is OrderStatus.APPROVED:
                    continue  # not sent yet: reconciliation decides
                try:  # outcome unknown: it may have arrived since
                    found = self._lookup(row.client_order_id)
                except BrokerUnavailable:
                    continue
                if found is not None:
                    self.fills.apply(row, found)
                    changed += 1
                continue
            try:
                placed = self.broker.get_order(row.broker_order_id)
            except BrokerError as error:
                log.warning(
                    "order tracking failed", extra={"order": row.client_order_id, "why": str(error)}
                )
                continue
            if placed.status.value != row.status or placed.filled_quantity != row.filled_quantity:
                self.fills.apply(row, placed)
                changed += 1
        return changed


def _time_in_force(text: str) -> TimeInForce:
    if text == "gtc":
        return "gtc"
    if text == "opg":
        return "opg"
    return "day"


def _is_exit(row: OrderRow) -> bool:
    """A closing order that the protective stop would otherwise block."""
    return row.side == OrderSide.SELL.value and row.purpose in (
        OrderPurpose.REDUCE.value,
        OrderPurpose.FLATTEN.value,
    )
