"""Reconciliation (at start and every few minutes): the broker is the truth.

1. Every unfinished journal row is looked up by client order id: found → its state
   goes through the fill handler; never sent → sent again if young enough (with its
   journaled purpose, through the gate), or failed; an entry or exit of a signal that
   never went out is handed back for the agent to re-check first (a person approved it
   minutes or hours ago: prices and limits may have moved).
2. Orders at the broker this agent did not send are journaled as external.
3. The book is corrected to the broker's positions.
4. Protective stops: every open position has exactly one working stop of the held
   quantity; orphans are cancelled.
While it fails, new orders are refused (a flatten's closing orders and protective
stops excepted) and a critical alert is raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from core.base.events import Alert
from core.base.types import OrderStatus
from execution.broker import BrokerError
from execution.order_manager import OrderManager
from execution.protection import ProtectiveStops
from storage.orders import PROTECT, OrderRow


@dataclass
class ReconcileReport:
    ok: bool
    adopted: list[str] = field(default_factory=list)
    settled: list[str] = field(default_factory=list)
    resubmitted: list[str] = field(default_factory=list)
    corrections: list[str] = field(default_factory=list)
    awaiting_recheck: list[OrderRow] = field(default_factory=list)
    """Journaled intents of signals that never reached the broker: re-check, then send
    or fail them (the agent does, and tells whoever approved)."""
    unprotected: list[str] = field(default_factory=list)
    """Open positions still without a working protective stop."""
    error: str | None = None


class Reconciler:
    def __init__(
        self,
        manager: OrderManager,
        protection: ProtectiveStops,
        *,
        max_intent_age: timedelta = timedelta(minutes=15),
        lookback: timedelta = timedelta(days=3),
    ) -> None:
        self._orders = manager
        self._protection = protection
        self._max_intent_age = max_intent_age
        self._lookback = lookback

    def run(self) -> ReconcileReport:
        manager = self._orders
        report = ReconcileReport(ok=False)
        with manager.lock:
            now = manager.clock.now()
            try:
                unsent = self._settle_journal(report)
                self._adopt_external(report)
                report.corrections.extend(self._correct_book())
            except BrokerError as error:
                manager.healthy = False
                manager.blocked_reason = f"reconciliation with the broker failed ({error})"
                report.error = str(error)
                manager.publish(
                    Alert(
                        severity="critical",
                        source="reconciliation",
                        message=f"Reconciliation failed; new orders are blocked: {error}",
                    )
                )
                return report
            manager.healthy = True
            manager.blocked_reason = ""
            report.ok = True
            for row in unsent:
                if row.send_after is not None and row.send_after > now:
                    continue  # approved for the next open: it waits for its time
                if row.purpose == PROTECT:
                    # A stop placed or moved when the process stopped: what the position
                    # needs now is planned again below, from the book and the broker.
                    manager.fills.cancelled(row, "superseded after a restart")
                elif now - row.created_at > self._max_intent_age:
                    manager.fail(row, "not sent before a restart and now too old to send")
                elif row.signal_id is not None:
                    report.awaiting_recheck.append(row)
                else:
                    manager.send(row)
                    report.resubmitted.append(row.client_order_id)
            report.unprotected = self._protection.reconcile()
        if report.adopted or report.corrections:
            manager.publish(
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

    def _settle_journal(self, report: ReconcileReport) -> list[OrderRow]:
        """Settle open journal rows; returns intents that were never sent."""
        manager = self._orders
        unsent = []
        for row in manager.store.orders.unfinished():
            if row.client_order_id in manager.in_flight:
                continue
            placed = manager.broker.get_order_by_client_id(row.client_order_id)
            if placed is not None:
                manager.fills.apply(row, placed)
                report.settled.append(row.client_order_id)
            elif OrderStatus(row.status) is OrderStatus.APPROVED:
                unsent.append(row)  # written but never sent (the process stopped)
            else:
                manager.fail(row, "the broker has no order with this client order id")
        return unsent

    def _adopt_external(self, report: ReconcileReport) -> None:
        manager = self._orders
        now = manager.clock.now()
        for placed in manager.broker.list_orders("all", since=now - self._lookback):
            if manager.store.orders.get_by_client_id(placed.client_order_id) is not None:
                continue
            # Fills of adopted orders are journaled, but the book is set from the
            # broker's positions below, so they do not move it twice.
            manager.store.orders.adopt_external(
                client_order_id=placed.client_order_id,
                broker_order_id=placed.broker_order_id,
                symbol=placed.symbol,
                side=placed.side,
                quantity=placed.quantity,
                order_type=placed.order_type,
                status=placed.status,
                filled_quantity=placed.filled_quantity,
                filled_avg_price=placed.filled_avg_price,
                now=now,
            )
            report.adopted.append(placed.client_order_id)

    def _correct_book(self) -> list[str]:
        manager = self._orders
        now = manager.clock.now()
        held = {p.symbol: p for p in manager.broker.get_positions()}
        symbols = sorted(set(held) | {p.symbol for p in manager.store.book.open_positions()})
        changes = []
        for symbol in symbols:
            position = held.get(symbol)
            quantity = position.quantity if position else 0.0
            price = position.avg_entry_price if position else 0.0
            change = manager.store.book.correct_to_broker(symbol, quantity, price, now)
            if change:
                changes.append(change)
        return changes
