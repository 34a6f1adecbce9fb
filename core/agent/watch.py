"""The jobs that watch the book between cycles: stops and trailing stops, the daily loss
limit, signal expiry, equity snapshots, prediction scoring, the daily summary.

Each job is a plain function over `Services`; the scheduler runs them live, the demo
and the backtest call them with a simulated clock.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime, time, timedelta

import pandas as pd

from core.agent.approval import expire
from core.base.events import Alert, DailySummary, StopTriggered, TradingStateChanged
from core.agent.predictor import last_atr
from core.agent.services import Services
from core.base.types import OrderSide, OrderStatus, OrderType
from execution.order_manager import Intent, OrderOutcome
from risk.daily_loss import SessionStart, evaluate_daily_loss, roll_session, session_of
from risk.stops import LongStop, check_stop, update_trailing
from risk.trading_state import OrderIntent
from storage import book, equity
from storage import predictions as stored_predictions
from storage.bot_state import (
    load_session_start,
    load_trading_status,
    save_session_start,
    save_trading_status,
)
from storage.models import Signal
from storage.orders import fills_since
from storage.signals import to_domain

log = logging.getLogger(__name__)


def expire_signals(services: Services) -> int:
    """Expire every waiting signal whose time has passed; returns how many."""
    now = services.clock.now()
    due = Signal.select().where(
        (Signal.status == OrderStatus.PENDING.value) & (Signal.expires_at <= now)
    )
    return sum(expire(services, to_domain(row), now) for row in due)


def _atr(services: Services, symbol: str, now: datetime) -> float | None:
    bars = services.data.get_bars([symbol], now - timedelta(days=60), now).get(symbol)
    if bars is None or len(bars) < 20:
        return None
    value = last_atr(bars)
    return value if math.isfinite(value) else None


def watch_stops(services: Services, bars: dict[str, pd.Series] | None = None) -> list[OrderOutcome]:
    """Trail stops up and exit positions whose stop is hit.

    Live (`bars` None): against the latest price, with a market order. Replay: against
    the bar's open and low, with a stop order the paper exchange fills at the stop, or at
    the open when the bar gapped through it.
    """
    now = services.clock.now()
    trailing = services.settings.trading.trailing
    positions = [p for p in book.open_positions() if p.stop_price]
    if not positions:
        return []
    quotes = {} if bars is not None else services.data.latest_prices([p.symbol for p in positions])
    exits = []
    for row in positions:
        if bars is not None:
            if row.symbol not in bars:
                continue
            bar = bars[row.symbol]
            open_price, low, high = float(bar["open"]), float(bar["low"]), float(bar["high"])
        elif row.symbol in quotes:
            open_price = low = high = quotes[row.symbol]
        else:
            continue
        state = LongStop(
            entry=row.avg_entry_price,
            initial_stop=row.initial_stop or row.stop_price,
            stop=row.stop_price,
            highest=row.highest_price or row.avg_entry_price,
            trailing=row.trailing_stop is not None,
        )
        hit = check_stop(state, open_price=open_price, low=low)
        if hit is None:
            atr = _atr(services, row.symbol, now) if trailing.method == "atr" else None
            moved = update_trailing(state, high=high, atr=atr, rules=trailing)
            if moved != state:
                book.set_stops(
                    row.symbol,
                    stop_price=moved.stop,
                    highest_price=moved.highest,
                    trailing_stop=moved.stop if moved.trailing else None,
                    now=now,
                )
            continue
        services.bus.publish(
            StopTriggered(
                symbol=row.symbol, reason=hit.reason, price=hit.price, quantity=row.quantity
            )
        )
        replay = bars is not None
        exits.append(
            services.orders.submit(
                Intent(
                    client_order_id=f"sb-stop-{row.symbol}-{now:%Y%m%d%H%M%S}",
                    symbol=row.symbol,
                    side=OrderSide.SELL,
                    quantity=row.quantity,
                    # A protective exit is a closing order: allowed even when trading is halted.
                    purpose=OrderIntent.FLATTEN,
                    order_type=OrderType.STOP if replay else OrderType.MARKET,
                    stop_price=state.stop if replay else None,
                )
            )
        )
    return exits


def check_daily_loss(services: Services) -> None:
    """Roll the session's starting equity and apply the daily loss limit."""
    now = services.clock.now()
    account = services.broker.get_account()
    stored = load_session_start()
    previous = SessionStart(datetime.fromisoformat(stored[0]).date(), stored[1]) if stored else None
    start = roll_session(previous, now, account.equity)
    if start != previous:
        save_session_start(start.session.isoformat(), start.equity)
    current = load_trading_status()
    new = evaluate_daily_loss(current, start, account.equity, services.runtime.get(), now)
    if new is None:
        return
    save_trading_status(new)
    services.bus.publish(TradingStateChanged(status=new, previous=current.state))
    severity = "critical" if new.state.value != "active" else "info"
    services.bus.publish(Alert(severity=severity, source="risk", message=new.reason))


def snapshot_equity(services: Services) -> None:
    now = services.clock.now()
    account = services.broker.get_account()
    stored = load_session_start()
    start_equity = stored[1] if stored else account.equity
    equity.record_snapshot(
        at=now,
        equity=account.equity,
        cash=account.cash,
        exposure=account.equity - account.cash,
        daily_pnl=account.equity - start_equity,
    )


def score_predictions(services: Services) -> int:
    """Fill in the realised outcome of predictions whose horizon has passed."""
    now = services.clock.now()
    last = services.calendar.last_completed_session(now)
    pending = stored_predictions.unscored(datetime.combine(last, time(), tzinfo=UTC))
    if not pending:
        return 0
    symbols = sorted({p.symbol for p in pending})
    start = min(p.bar_time for p in pending) - timedelta(days=5)
    bars = services.data.get_bars(symbols, start, now)
    scored = 0
    for prediction in pending:
        closes = bars.get(prediction.symbol)
        if closes is None or closes.empty:
            continue
        index = closes.index
        position = index.searchsorted(pd.Timestamp(prediction.bar_time))
        target = position + prediction.horizon
        if (
            position >= len(index)
            or index[position] != pd.Timestamp(prediction.bar_time)
            or target >= len(index)
        ):
            continue
        change = closes["close"].iloc[target] / closes["close"].iloc[position] - 1.0
        stored_predictions.score(
            prediction, outcome=int(change > 0), realized_return=change, at=now
        )
        scored += 1
    return scored


def daily_summary(services: Services) -> DailySummary:
    now = services.clock.now()
    account = services.broker.get_account()
    stored = load_session_start()
    start_equity = stored[1] if stored else account.equity
    day_start = datetime.combine(session_of(now), time(), tzinfo=UTC)
    summary = DailySummary(
        session=session_of(now),
        equity=account.equity,
        pnl=account.equity - start_equity,
        pnl_pct=(account.equity / start_equity - 1.0) if start_equity else 0.0,
        trades=len(fills_since(day_start)),
    )
    services.bus.publish(summary)
    return summary
