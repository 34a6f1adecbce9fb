"""What risk needs to know about the account, gathered from the broker, the book and
the journal (one place, so the pipeline and the approval re-check agree)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time

from core.base.calendar import ExchangeCalendar
from core.base.types import OrderSide
from execution.broker import Broker
from risk.checks import AccountView, RecentOrder
from risk.daily_loss import session_of
from risk.portfolio import HeldPosition
from storage.port import Store
from storage.records import FillRow

MAX_DAY_TRADE_WINDOW = 60
"""Sessions of fills read for the day-trade count (the setting's upper bound)."""


def _session_start(calendar: ExchangeCalendar, now: datetime) -> datetime:
    day = session_of(now)
    return (
        calendar.session_open(day)
        if calendar.is_session(day)
        else datetime.combine(day, time(), tzinfo=UTC)
    )


def account_view(
    store: Store,
    broker: Broker,
    calendar: ExchangeCalendar,
    now: datetime,
    quotes: dict[str, float] | None = None,
    *,
    day_trade_window: int = 5,
) -> AccountView:
    account = broker.get_account()
    quotes = quotes or {}
    positions = {}
    for row in store.book.open_positions():
        last = quotes.get(row.symbol, row.avg_entry_price)
        positions[row.symbol] = HeldPosition(
            symbol=row.symbol,
            quantity=row.quantity,
            last_price=last,
            stop_price=row.stop_price,
            opened_session=session_of(row.opened_at),
        )
    day_start = _session_start(calendar, now)
    decisions = store.orders.decisions_since(day_start)
    recent = [
        RecentOrder(o.symbol, OrderSide(o.side), o.submitted_at or o.created_at) for o in decisions
    ]
    sessions = calendar.previous_sessions(
        session_of(now), min(day_trade_window, MAX_DAY_TRADE_WINDOW)
    )
    # One read of the journal's fills serves both figures (the day-trade window starts
    # first): each read parses every fill's row.
    window_start = datetime.combine(sessions[0], time(), tzinfo=UTC) if sessions else day_start
    fills = store.orders.fills_since(min(window_start, day_start))
    unsettled = unsettled_proceeds(fills, day_start) if account.is_cash_account else 0.0
    return AccountView(
        equity=account.equity,
        buying_power=max(account.buying_power - unsettled, 0.0),
        unsettled_proceeds=unsettled,
        positions=positions,
        recent_orders=recent,
        orders_today=len(decisions),
        day_trade_sessions=day_trades(fills, sessions),
        recent_sessions=sessions,
    )


def unsettled_proceeds(fills: Sequence[FillRow], session_start: datetime) -> float:
    """Sale proceeds of this session, which settle the next one (T+1)."""
    return sum(
        fill.quantity * fill.price - fill.commission
        for fill in fills
        if fill.side == OrderSide.SELL.value and fill.filled_at >= session_start
    )


def day_trades(fills: Sequence[FillRow], sessions: list[date]) -> list[date]:
    """Sessions (among `sessions`) with a sell of a position bought the same session;
    `fills` in time order."""
    if not sessions:
        return []
    start = datetime.combine(sessions[0], time(), tzinfo=UTC)
    bought: dict[tuple[str, date], bool] = {}
    trades = []
    for fill in fills:
        if fill.filled_at < start:
            continue
        key = (fill.symbol, session_of(fill.filled_at))
        if fill.side == OrderSide.BUY.value:
            bought[key] = True
        elif bought.get(key):
            trades.append(key[1])
            bought[key] = False
    return trades
