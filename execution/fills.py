"""The one fill handler: every broker answer about an order — in the submit answer,
found by tracking, by reconciliation at start, by the paper exchange at the open or in
a replay — goes through `FillHandler.apply`.

It writes the order's status, the new fill, the agent's book and the signal's status in
one transaction (`storage.journal.apply_broker_update`), publishes the events, and
tells the protective-stop keeper about every fill, so an opening buy is protected at
the broker whatever path its fill took. Nothing else sets stops.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from core.base.clock import Clock
from core.base.events import Event, OrderFailed, OrderFilled, StopTriggered
from core.base.types import ExitReason, OrderSide, OrderStatus
from execution.broker import BrokerOrder
from risk.trading_state import OrderPurpose
from storage.journal import NewFill, PlannedStop
from storage.orders import OrderRow
from storage.port import Store
from storage.signals import SignalNotFound


@dataclass(frozen=True)
class FillEvent:
    """What one broker update did, for whoever keeps the protective stops."""

    symbol: str
    side: OrderSide
    purpose: OrderPurpose
    quantity: float
    """Newly filled in this update."""


class FillListener(Protocol):
    def after_fill(self, fill: FillEvent) -> None: ...


class FillHandler:
    def __init__(self, *, store: Store, clock: Clock, publish: Callable[[Event], None]) -> None:
        self._store = store
        self._clock = clock
        self._publish = publish
        self.listener: FillListener | None = None
        """Told about every fill after it is committed (the protective-stop keeper)."""

    def apply(self, row: OrderRow, placed: BrokerOrder) -> None:
        """Bring the journal row, the book and the signal to what the broker says."""
        now = self._clock.now()
        previous_filled = row.filled_quantity or 0.0
        previous_avg = row.filled_avg_price or 0.0
        new_quantity = placed.filled_quantity - previous_filled
        fill = None
        if new_quantity > 1e-9 and placed.filled_avg_price is not None:
            price = (
                placed.filled_avg_price * placed.filled_quantity - previous_avg * previous_filled
            ) / new_quantity
            commission = max(placed.commission - self._store.orders.commission_recorded(row), 0.0)
            fill = NewFill(new_quantity, price, commission, placed.updated_at or now)
        side = OrderSide(row.side)
        purpose = OrderPurpose(row.purpose)
        self._store.journal.apply_broker_update(
            row,
            status=placed.status,
            broker_order_id=placed.broker_order_id,
            filled_quantity=placed.filled_quantity,
            filled_avg_price=placed.filled_avg_price,
            submitted_at=placed.submitted_at or now,
            error=placed.reject_reason if placed.status is OrderStatus.FAILED else None,
            fill=fill,
            planned_stop=self._planned_stop(row) if side is OrderSide.BUY else None,
            now=now,
        )
        if fill is not None:
            self._announce_fill(row, side, purpose, fill)
        if placed.status is OrderStatus.FAILED:
            self._publish(
                OrderFailed(
                    client_order_id=row.client_order_id,
                    symbol=row.symbol,
                    reason=placed.reject_reason or "rejected by the broker",
                    signal_id=row.signal_id,
                )
            )
        if fill is not None and self.listener is not None:
            self.listener.after_fill(FillEvent(row.symbol, side, purpose, fill.quantity))

    def fail(self, row: OrderRow, reason: str) -> None:
        """An intent that will not be sent (the gate, a refusal): order and signal marked
        failed in one transaction, and the failure announced."""
        self._store.journal.apply_broker_update(
            row,
            status=OrderStatus.FAILED,
            broker_order_id=None,
            filled_quantity=row.filled_quantity or 0.0,
            filled_avg_price=row.filled_avg_price,
            submitted_at=None,
            error=reason,
            fill=None,
            planned_stop=None,
            now=self._clock.now(),
        )
        self._publish(
            OrderFailed(
                client_order_id=row.client_order_id,
                symbol=row.symbol,
                reason=reason,
                signal_id=row.signal_id,
            )
        )

    def cancelled(self, row: OrderRow, reason: str) -> None:
        """An intent withdrawn before it reached the broker (nothing left to sell)."""
        self._store.journal.apply_broker_update(
            row,
            status=OrderStatus.CANCELLED,
            broker_order_id=None,
            filled_quantity=row.filled_quantity or 0.0,
            filled_avg_price=row.filled_avg_price,
            submitted_at=None,
            error=reason,
            fill=None,
            planned_stop=None,
            now=self._clock.now(),
        )

    def _planned_stop(self, row: OrderRow) -> PlannedStop | None:
        """The entry's planned risk per share: the signal's price less its stop — or
        less the tighter stop its approver chose."""
        if row.signal_id is None:
            return None
        try:
            signal = self._store.signals.get_signal(row.signal_id)
        except SignalNotFound:
            return None
        stop = row.planned_stop if row.planned_stop is not None else signal.stop_price
        if stop is None or stop >= signal.price:
            return None
        return PlannedStop(risk_per_share=signal.price - stop)

    def _announce_fill(
        self, row: OrderRow, side: OrderSide, purpose: OrderPurpose, fill: NewFill
    ) -> None:
        self._publish(
            OrderFilled(
                client_order_id=row.client_order_id,
                symbol=row.symbol,
                side=side,
                quantity=fill.quantity,
                price=fill.price,
                signal_id=row.signal_id,
            )
        )
        if purpose is OrderPurpose.PROTECT:
            reason: Literal["stop", "trailing_stop"] = (
                "trailing_stop" if row.reason == ExitReason.TRAILING_STOP.value else "stop"
            )
            self._publish(
                StopTriggered(
                    symbol=row.symbol, reason=reason, price=fill.price, quantity=fill.quantity
                )
            )
