"""Trailing the protective stops: the stop follows a winning position up once it has
gained `activate_at_r` times its initial risk, never down (`risk.stops`), and the stop
order at the broker is replaced to match. Nothing here sells on price: the broker's
stop order does that, even while the agent is down.

The highest price a position has seen is read the same way live and in a replay: the
session's bar high once the session has closed, the latest price while it trades.

ATR(14) is read over as much history as a live cycle reads for its features, so the
trailing distance uses the features' ATR: Wilder's smoothing forgets where it started
only as (13/14)^n, so 45 calendar days (~30 sessions) left it 2-5% off the full-history
value, while ~350 sessions agree to about 1e-12.
"""

from __future__ import annotations

import math

import pandas as pd

from core.agent.predictor import feature_history_start, last_atr
from core.agent.services import Services
from ml.indicators import ATR_PERIOD
from risk.daily_loss import session_of
from risk.stops import LongStop, update_trailing


def _highs_and_atr(
    services: Services, symbols: list[str]
) -> tuple[dict[str, float], dict[str, float | None]]:
    now = services.clock.now()
    latest = services.data.latest_prices(symbols)
    start = feature_history_start(now, services.settings.trading.ml.lookback)
    bars = services.data.get_bars(symbols, start, now)
    today = pd.Timestamp(session_of(now), tz="UTC")
    highs: dict[str, float] = {}
    atrs: dict[str, float | None] = {}
    for symbol in symbols:
        frame = bars.get(symbol)
        high = latest.get(symbol)
        if frame is not None and len(frame) and frame.index[-1] == today:
            session_high = float(frame["high"].iloc[-1])
            high = session_high if high is None else max(high, session_high)
        if high is not None:
            highs[symbol] = high
        value = last_atr(frame) if frame is not None and len(frame) > ATR_PERIOD else math.nan
        atrs[symbol] = value if math.isfinite(value) else None
    return highs, atrs


def trail_stops(services: Services) -> int:
    """Raise stops that the trailing rule moves; returns how many moved."""
    positions = [p for p in services.store.book.open_positions() if p.stop_price is not None]
    if not positions:
        return 0
    rules = services.settings.trading.trailing
    highs, atrs = _highs_and_atr(services, [p.symbol for p in positions])
    now = services.clock.now()
    moved_count = 0
    for row in positions:
        high = highs.get(row.symbol)
        if high is None:
            continue
        assert row.stop_price is not None  # positions without a stop were left out
        stop = row.stop_price
        state = LongStop(
            entry=row.avg_entry_price,
            initial_stop=row.initial_stop if row.initial_stop is not None else stop,
            stop=stop,
            highest=row.highest_price or row.avg_entry_price,
            trailing=row.trailing_stop is not None,
        )
        moved = update_trailing(state, high=high, atr=atrs.get(row.symbol), rules=rules)
        if moved == state:
            continue
        services.store.book.set_stops(
            row.symbol,
            stop_price=moved.stop,
            highest_price=moved.highest,
            trailing_stop=moved.stop if moved.trailing else None,
            now=now,
        )
        if moved.stop != state.stop or moved.trailing != state.trailing:
            services.desk.stops.ensure(row.symbol)
            moved_count += 1
    return moved_count
