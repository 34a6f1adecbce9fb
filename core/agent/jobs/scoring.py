"""Scoring live predictions once their horizon has passed: the Models page's "how live
predictions have scored week by week"."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pandas as pd

from core.agent.services import Services


def score_predictions(services: Services) -> int:
    """Fill in the realised outcome of predictions whose horizon has passed."""
    now = services.clock.now()
    last = services.calendar.last_completed_session(now)
    pending = services.store.predictions.unscored(datetime.combine(last, time(), tzinfo=UTC))
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
        position = int(index.searchsorted(pd.Timestamp(prediction.bar_time)))
        target = position + prediction.horizon
        if (
            position >= len(index)
            or index[position] != pd.Timestamp(prediction.bar_time)
            or target >= len(index)
        ):
            continue
        change = closes["close"].iloc[target] / closes["close"].iloc[position] - 1.0
        services.store.predictions.score(
            prediction, outcome=int(change > 0), realized_return=change, at=now
        )
        scored += 1
    return scored
