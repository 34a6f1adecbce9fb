"""The plan's time exit: a position is sold at the close of its `max_holding_sessions`-th
session held (the session it was bought in is the first) — the exit the models' labels
assume (`ml.labels`), so the trades the agent makes are the trades the model graded.

Like the stop, the time exit is part of the plan the owner approved with the entry, so
it does not ask again. It reduces a position, so a halt holds it back (the protective
stop keeps guarding the shares) and it goes out with the next decision step after a
resume.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from core.agent.services import Services
from core.base.calendar import ExchangeCalendar
from core.base.events import Alert
from core.base.types import ExitReason, OrderSide, OrderStatus
from execution.order_manager import OrderIntent
from risk.trading_state import OrderPurpose
from storage.records import PositionRecord

log = logging.getLogger(__name__)


def sessions_held(calendar: ExchangeCalendar, opened_at: datetime, today: date) -> int:
    """Sessions from the one the position was bought in through `today`, both counted.
    A fill after a close (extended hours) belongs to the next session."""
    days = calendar.sessions(opened_at.date(), today)
    if days and calendar.session_close(days[0]) <= opened_at:
        days = days[1:]
    return len(days)


def _time_exit_order_id(services: Services, position: PositionRecord) -> str | None:
    """`sb-<symbol>-<opened>-time<n>` (≤ 36 characters): the attempt in progress if
    there is one, so a repeat or a restart never sells twice; a new attempt after one
    that ended without selling (a halt blocked it); None while an attempt is working."""
    base = f"sb-{position.symbol}-{position.opened_at:%y%m%d%H%M%S}-time"
    attempts = services.store.orders.client_ids_like(base)
    for client_id in attempts:
        row = services.store.orders.get_by_client_id(client_id)
        if row is not None and not OrderStatus(row.status).is_final:
            # Journaled but not sent (a crash in between) goes out now; sent is left be.
            return client_id if row.status == OrderStatus.APPROVED else None
    return f"{base}{len(attempts) + 1}"


def _other_exit_working(services: Services, symbol: str, client_id: str) -> bool:
    """A sell signal's exit already on its way sells the same shares."""
    working = services.store.orders.working(symbol=symbol, purpose=OrderPurpose.REDUCE)
    return any(row.client_order_id != client_id for row in working)


def exit_overdue_positions(services: Services) -> int:
    """Sell every position that has been held for the plan's time limit; returns how
    many exits went out."""
    now = services.clock.now()
    calendar = services.calendar
    today = calendar.session_of(now) or calendar.last_completed_session(now)
    limit = services.settings.trading.stops.max_holding_sessions
    orders = services.desk.orders
    blocked = orders.gate(OrderPurpose.REDUCE)
    sent = 0
    for position in services.store.book.open_positions():
        if position.quantity <= 0 or sessions_held(calendar, position.opened_at, today) < limit:
            continue
        if blocked:  # halted: the stop guards the shares; the exit waits for a resume
            log.info("time exit held back", extra={"symbol": position.symbol, "why": blocked})
            continue
        client_id = _time_exit_order_id(services, position)
        if client_id is None or _other_exit_working(services, position.symbol, client_id):
            continue
        outcome = orders.submit(
            OrderIntent(
                client_order_id=client_id,
                symbol=position.symbol,
                side=OrderSide.SELL,
                quantity=position.quantity,
                purpose=OrderPurpose.REDUCE,
                reason=ExitReason.TIME,
            )
        )
        if outcome.status in (OrderStatus.FAILED, OrderStatus.REJECTED):
            services.bus.publish(
                Alert(
                    severity="warning",
                    source="time_exit",
                    message=f"{position.symbol}: the time exit after {limit} sessions did not "
                    f"go out ({outcome.error}); its protective stop still guards it",
                )
            )
            continue
        log.info("time exit", extra={"symbol": position.symbol, "sessions": limit})
        sent += 1
    return sent
