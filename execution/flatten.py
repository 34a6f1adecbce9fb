"""`/kill flatten` as a durable job.

Recorded (who, when, from where) before it starts; then, until the broker shows no
position and no working order:
1. cancel every entry and exit in flight and wait for the broker to confirm each (an
   order that filled meanwhile is simply part of what is closed next);
2. cancel the protective stops and wait likewise (their shares must be free to sell);
3. sell every position the broker shows, once per position (a sell already working
   for it is waited for, not doubled);
4. read the broker again: a BUY that filled after the flatten began is closed by the
   next round.
The job is resumed at start (and on each watch tick) while it is unfinished; the owner
gets a message when it completes, and a critical alert naming what is left when a round
leaves something open.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from core.base.events import Alert
from core.base.types import (
    FINAL_STATUSES,
    ExitReason,
    KillScope,
    OrderSide,
    TradingState,
    TradingStatus,
)
from execution.broker import BrokerError
from execution.order_manager import OrderIntent, OrderManager
from execution.trading_state import Decide
from risk.trading_state import OrderPurpose, kill
from storage import flatten_jobs
from storage.flatten_jobs import FlattenJobRecord

log = logging.getLogger(__name__)

_EPSILON = 1e-9


class Flattener:
    def __init__(
        self,
        manager: OrderManager,
        *,
        rounds: int = 5,
        pause_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._orders = manager
        self._rounds = rounds
        self._pause = pause_seconds
        self._sleep = sleep

    def start(self, requested_by: str, origin: str | None = None) -> TradingStatus:
        """Record the job first (a crash from here on is resumed at start), halt
        trading, then run it; returns the HALTED status."""
        now = self._orders.clock.now()
        job = self._orders.store.flatten.start(requested_by, origin=origin, at=now)
        log.info("flatten started", extra={"job": job.id, "by": requested_by})
        status = self._orders.trading_state.change(
            lambda current: kill(current, KillScope.FLATTEN, actor=requested_by, now=now).status,
            origin=origin,
        )
        assert status is not None
        self.run(job)
        return status

    def resume(self) -> int:
        """Continue every unfinished flatten (halted first, should a crash have come
        between recording it and halting); returns how many there were."""
        jobs = self._orders.store.flatten.unfinished()
        for job in jobs:
            self._orders.trading_state.change(self._halt_unless_halted(job))
            self.run(job)
        return len(jobs)

    def run(self, job: FlattenJobRecord) -> bool:
        """Rounds until flat; True when the broker shows nothing open."""
        left = ""
        for number in range(1, self._rounds + 1):
            try:
                self._round(job, number)
                left = self._what_is_left()
            except BrokerError as error:
                left = f"the broker could not be read ({error})"
            if not left:
                self._finish(job, flatten_jobs.DONE, "flat: no position, no working order")
                return True
            self._sleep(self._pause)
        detail = f"not flat yet: {left}; retried at each watch and at start"
        self._orders.publish(
            Alert(
                severity="critical",
                source="flatten",
                message=f"Flatten by {job.requested_by} is not complete: {left}. "
                "It keeps trying while the agent runs.",
            )
        )
        log.error("flatten incomplete", extra={"job": job.id, "left": left})
        self._orders.store.flatten.finish(
            job.id, status=flatten_jobs.RUNNING, detail=detail, at=self._now()
        )
        return False

    def _halt_unless_halted(self, job: FlattenJobRecord) -> Decide:
        now = self._now()

        def decide(current: TradingStatus) -> TradingStatus | None:
            if current.state is TradingState.HALTED:
                return None
            return kill(current, KillScope.FLATTEN, actor=job.requested_by, now=now).status

        return decide

    def _now(self) -> datetime:
        return self._orders.clock.now()

    def _round(self, job: FlattenJobRecord, number: int) -> None:
        manager = self._orders
        manager.cancel_working(purposes=(OrderPurpose.OPEN, OrderPurpose.REDUCE))
        manager.cancel_working(purposes=(OrderPurpose.PROTECT,))
        self._cancel_foreign_orders()
        manager.track()
        selling = {
            row.symbol: row
            for row in self._orders.store.orders.working(purpose=OrderPurpose.FLATTEN.value)
            if row.side == OrderSide.SELL.value
        }
        for position in manager.broker.get_positions():
            if position.quantity <= _EPSILON or position.symbol in selling:
                continue
            outcome = manager.submit(
                OrderIntent(
                    client_order_id=f"sb-flat{job.id}-{position.symbol}-{number}",
                    symbol=position.symbol,
                    side=OrderSide.SELL,
                    quantity=position.quantity,
                    purpose=OrderPurpose.FLATTEN,
                    reason=ExitReason.FLATTEN,
                )
            )
            log.info(
                "flatten sell",
                extra={"symbol": position.symbol, "status": outcome.status.value},
            )
        manager.track()

    def _cancel_foreign_orders(self) -> None:
        """Orders at the broker the journal does not know (placed elsewhere)."""
        broker = self._orders.broker
        for placed in broker.list_orders("open"):
            if self._orders.store.orders.get_by_client_id(placed.client_order_id) is None:
                broker.cancel_order(placed.broker_order_id)

    def _what_is_left(self) -> str:
        broker = self._orders.broker
        positions = [p for p in broker.get_positions() if abs(p.quantity) > _EPSILON]
        working = [o for o in broker.list_orders("open") if o.status not in FINAL_STATUSES]
        parts = [f"{p.quantity:g} {p.symbol}" for p in positions]
        parts += [f"order {o.client_order_id} ({o.status.value})" for o in working]
        return ", ".join(parts)

    def _finish(self, job: FlattenJobRecord, status: str, detail: str) -> None:
        self._orders.store.flatten.finish(job.id, status=status, detail=detail, at=self._now())
        self._orders.publish(
            Alert(
                severity="info",
                source="flatten",
                message=f"Flatten by {job.requested_by} complete: no position, no working "
                "order at the broker.",
            )
        )
        log.info("flatten finished", extra={"job": job.id})
