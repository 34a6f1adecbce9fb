"""Scoring live predictions once their horizon has passed: the Models page's "how live
predictions have scored week by week".

A plan prediction is scored by the plan itself (`ml.labels.plan_outcomes`, the rules the
models were trained on): outcome 1 when the trade signalled at that bar would have ended
in profit, and its R multiple as the realised return. A direction prediction is scored
by whether the close `horizon` sessions later was higher.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pandas as pd

from core.agent.services import Services
from ml.labels import PlanRules, plan_outcomes
from storage.records import PredictionRecord

PLAN_HISTORY = timedelta(days=400)
"""Calendar days of bars before a plan prediction: its stop uses a Wilder-smoothed ATR,
which needs a long run-in to equal the one computed on the full history."""


def _scored_by_plan(prediction: PredictionRecord) -> bool:
    return prediction.details.get("target") == "plan"


def score_predictions(services: Services) -> int:
    """Fill in the realised outcome of predictions whose horizon has passed."""
    now = services.clock.now()
    last = services.calendar.last_completed_session(now)
    pending = services.store.predictions.unscored(datetime.combine(last, time(), tzinfo=UTC))
    if not pending:
        return 0
    symbols = sorted({p.symbol for p in pending})
    run_in = PLAN_HISTORY if any(_scored_by_plan(p) for p in pending) else timedelta(days=5)
    start = min(p.bar_time for p in pending) - run_in
    bars = services.data.get_bars(symbols, start, now)
    rules = PlanRules.from_config(services.settings.trading)
    plan_r: dict[str, pd.Series] = {}
    scored = 0
    for prediction in pending:
        frame = bars.get(prediction.symbol)
        if frame is None or frame.empty:
            continue
        index = frame.index
        stamp = pd.Timestamp(prediction.bar_time)
        position = int(index.searchsorted(stamp))
        if position >= len(index) or index[position] != stamp:
            continue
        if _scored_by_plan(prediction):
            if prediction.symbol not in plan_r:
                outcomes = plan_outcomes(frame, rules)
                plan_r[prediction.symbol] = pd.Series(outcomes.r, index=index)
            if position + rules.horizon >= len(index):
                continue  # the holding window has not passed yet
            r = float(plan_r[prediction.symbol].iloc[position])
            # NaN after the window: the plan places no trade there (no usable stop), so
            # nothing was won or lost.
            outcome, realized = (0, 0.0) if r != r else (int(r > 0), r)
        else:
            target = position + prediction.horizon
            if target >= len(index):
                continue
            closes = frame["close"]
            realized = float(closes.iloc[target] / closes.iloc[position] - 1.0)
            outcome = int(realized > 0)
        services.store.predictions.score(
            prediction, outcome=outcome, realized_return=realized, at=now
        )
        scored += 1
    return scored
