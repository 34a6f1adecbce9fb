"""Protective stops live at the broker: a GTC sell stop for the held quantity at the
book's planned stop, so a position stays protected while the agent is down.

`ProtectiveStops.ensure(symbol)` makes the broker match the book: no stop → place one;
a different quantity (a partial fill, a partial exit) or a raised stop (trailing) →
replace the order in one broker call (the old one ends cancelled, so there is never a
moment with none or two); no position, or an exit order holding all the shares →
cancel. Each stop has its own deterministic client order id, versioned on replace,
journaled before it is sent like every intent.

The fill handler calls `ensure` after every fill; exits call `release` (cancel and wait
for the broker) before selling and `restore` after; reconciliation calls `reconcile`.
While a flatten runs no stop is placed: the flatten is closing everything.
"""

from __future__ import annotations

import logging
import math

from core.base.events import Alert
from core.base.types import FINAL_STATUSES, ExitReason, OrderSide, OrderType
from execution.fills import FillEvent
from execution.order_manager import ExitGuard, OrderIntent, OrderManager
from risk.trading_state import OrderPurpose
from storage.book import PositionRow
from storage.orders import PROTECT, OrderRow

log = logging.getLogger(__name__)

_EPSILON = 1e-9
_PRICE_TOLERANCE = 0.004
"""Below a cent the broker cannot tell two stop prices apart."""


def stop_in_cents(price: float) -> float:
    """A sell stop the broker accepts: whole cents from $1 (four decimals below), rounded
    up, so the loss if it fills stays within the plan."""
    if price >= 1.0:
        return math.ceil(price * 100 - 1e-6) / 100
    return math.ceil(price * 10_000 - 1e-6) / 10_000


def stop_order_base(position: PositionRow) -> str:
    """`sb-<symbol>-<opened yymmddHHMMSS>-stop`: one base per position (≤ 34 chars)."""
    return f"sb-{position.symbol}-{position.opened_at:%y%m%d%H%M%S}-stop"


class ProtectiveStops(ExitGuard):
    def __init__(self, manager: OrderManager) -> None:
        self._orders = manager
        manager.exits = self
        manager.fills.listener = self

    # -- hooks of the order manager --------------------------------------------------

    def after_fill(self, fill: FillEvent) -> None:
        if fill.purpose is not OrderPurpose.FLATTEN:
            self.ensure(fill.symbol)

    def release(self, symbol: str) -> bool:
        """Cancel the symbol's working stops and wait until the broker shows each final."""
        outcomes = [self._orders.cancel(row) for row in self._working_stops(symbol)]
        return all(outcome.status in FINAL_STATUSES for outcome in outcomes)

    def restore(self, symbol: str) -> None:
        self.ensure(symbol)

    # -- keeping the broker equal to the book ----------------------------------------

    def ensure(self, symbol: str) -> None:
        # Under the order desk's lock: an exit between freeing the shares and selling
        # them must not see a stop placed again behind its back.
        with self._orders.lock:
            self._ensure(symbol)

    def _ensure(self, symbol: str) -> None:
        if self._orders.store.flatten.unfinished():
            return  # a flatten is closing every position; it cancels the stops itself
        position = self._orders.store.book.open_position(symbol)
        stops = self._working_stops(symbol)
        target = (position.quantity if position else 0.0) - self._held_by_exits(symbol)
        if position is None or target <= _EPSILON or position.stop_price is None:
            # No position, or an exit holds every share: nothing to protect. A position
            # without a planned stop is reported by `reconcile` for the agent to plan.
            for row in stops:
                self._orders.cancel(row)
            return
        stop = stop_in_cents(position.stop_price)
        reason = ExitReason.TRAILING_STOP if position.trailing_stop else ExitReason.STOP
        if not stops:
            self._place(position, target, stop, reason)
            return
        *extras, current = stops
        for row in extras:  # never two working stops
            self._orders.cancel(row)
        if (
            abs(current.quantity - current.filled_quantity - target) > _EPSILON
            or current.stop_price is None
            or abs(current.stop_price - stop) > _PRICE_TOLERANCE
        ):
            self._replace(position, current, target, stop, reason)

    def reconcile(self) -> list[str]:
        """Every open position has exactly one working stop of the held quantity; stops
        of positions that no longer exist are cancelled. Returns symbols still without
        a working stop."""
        held = {p.symbol for p in self._orders.store.book.open_positions()}
        with self._orders.lock:
            for row in self._orders.store.orders.working(purpose=PROTECT):
                if row.symbol not in held:
                    self._orders.cancel(row)
            for symbol in sorted(held):
                self._ensure(symbol)
        return [s for s in sorted(held) if not self._working_stops(s) and self._needs_stop(s)]

    def working_stop(self, symbol: str) -> OrderRow | None:
        stops = self._working_stops(symbol)
        return stops[-1] if stops else None

    # -- placing and replacing -------------------------------------------------------

    def _working_stops(self, symbol: str) -> list[OrderRow]:
        return self._orders.store.orders.working(symbol=symbol, purpose=PROTECT)

    def _held_by_exits(self, symbol: str) -> float:
        return sum(
            row.quantity - row.filled_quantity
            for row in self._orders.store.orders.working(symbol=symbol, exclude=PROTECT)
            if row.side == OrderSide.SELL.value and row.broker_order_id is not None
        )

    def _needs_stop(self, symbol: str) -> bool:
        position = self._orders.store.book.open_position(symbol)
        return position is not None and position.quantity - self._held_by_exits(symbol) > _EPSILON

    def _intent(
        self, position: PositionRow, quantity: float, stop: float, reason: ExitReason
    ) -> OrderIntent:
        base = stop_order_base(position)
        version = len(self._orders.store.orders.client_ids_like(base)) + 1
        return OrderIntent(
            client_order_id=base if version == 1 else f"{base}-{version}",
            symbol=position.symbol,
            side=OrderSide.SELL,
            quantity=quantity,
            purpose=OrderPurpose.PROTECT,
            order_type=OrderType.STOP,
            stop_price=stop,
            time_in_force="gtc",
            reason=reason,
        )

    def _place(
        self, position: PositionRow, quantity: float, stop: float, reason: ExitReason
    ) -> None:
        outcome = self._orders.submit(self._intent(position, quantity, stop, reason))
        if outcome.status in FINAL_STATUSES and outcome.filled_quantity <= _EPSILON:
            self._alert_unprotected(position.symbol, outcome.error or outcome.status.value)

    def _replace(
        self,
        position: PositionRow,
        current: OrderRow,
        quantity: float,
        stop: float,
        reason: ExitReason,
    ) -> None:
        outcome = self._orders.replace(current, self._intent(position, quantity, stop, reason))
        if outcome.status in FINAL_STATUSES and outcome.filled_quantity <= _EPSILON:
            # The old stop stays working: still protected, at the old level.
            self._orders.publish(
                Alert(
                    severity="warning",
                    source="protection",
                    message=f"{position.symbol}: the stop could not be moved to {stop:.2f} "
                    f"({outcome.error}); the stop at {current.stop_price} stays",
                )
            )
            if self.working_stop(position.symbol) is None:
                self._ensure(position.symbol)

    def _alert_unprotected(self, symbol: str, why: str) -> None:
        log.error("position unprotected", extra={"symbol": symbol, "why": why})
        self._orders.publish(
            Alert(
                severity="critical",
                source="protection",
                message=f"{symbol} has no protective stop at the broker: {why}",
            )
        )
