"""What risk needs to know about the account, gathered from the broker, the book and
the journal (one place, so the pipeline, approvals and the watch agree)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from core.base.calendar import ExchangeCalendar
from core.base.types import OrderSide
from execution.broker import Broker
from risk.checks import AccountView, RecentOrder
from risk.daily_loss import session_of
from risk.portfolio import HeldPosition
from storage import book, orders
from storage.models import Fill


def _session_start(calendar: ExchangeCalendar, now: datetime) -> datetime:
    day = session_of(now)
    return (
        calendar.session_open(day)
        if calendar.is_session(day)
        else datetime.combine(day, time(), tzinfo=UTC)
    )


def account_view(
    broker: Broker,
    calendar: ExchangeCalendar,
    now: datetime,
    quotes: dict[str, float] | None = None,
) -> AccountView:
    account = broker.get_account()
    quotes = quotes or {}
    positions = {}
    for row in book.open_positions():
        last = quotes.get(row.symbol, row.avg_entry_price)
        positions[row.symbol] = HeldPosition(
            symbol=row.symbol,
            quantity=row.quantity,
            last_price=last,
            stop_price=row.stop_price,
            opened_session=session_of(row.opened_at),
        )
    day_start = _session_start(calendar, now)
    recent = [
        RecentOrder(o.symbol, OrderSide(o.side), o.submitted_at or o.created_at)
        for o in orders.recent(limit=200, since=day_start)
        if not o.external
    ]
    sessions = calendar.previous_sessions(session_of(now), 5)
    return AccountView(
        equity=account.equity,
        buying_power=account.buying_power,
        positions=positions,
        recent_orders=recent,
        orders_today=orders.count_since(day_start),
        day_trade_sessions=day_trades(sessions),
        recent_sessions=sessions,
    )


def day_trades(sessions: list[date]) -> list[date]:
    """Sessions (among `sessions`) with a sell of a position bought the same session."""
    if not sessions:
        return []
    start = datetime.combine(sessions[0], time(), tzinfo=UTC)
    bought: dict[tuple[str, date], bool] = {}
    trades = []
    for fill in Fill.select().where(Fill.filled_at >= start).order_by(Fill.filled_at):
        key = (fill.symbol, session_of(fill.filled_at))
        if fill.side == OrderSide.BUY.value:
            bought[key] = True
        elif bought.get(key):
            trades.append(key[1])
            bought[key] = False
    return trades
