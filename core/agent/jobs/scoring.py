"""Scoring live predictions once their horizon has passed: the Models page's "how live
predictions have scored week by week".

A plan prediction is scored by the plan itself (`ml.labels.plan_outcomes`, the rules the
models were trained on): outcome 1 when the trade signalled at that bar would have ended
in profit, and its R multiple as the realised return. A direction prediction is scored
by whether the close `horizon` sessions later was higher.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

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
    rules = PlanRules.from_config(services.settings.trading)
    ready = _window_passed(services, pending, last, rules)
    if not ready:
        return 0
    run_in = PLAN_HISTORY if any(_scored_by_plan(p) for p in ready) else timedelta(days=5)
    start = min(p.bar_time for p in ready) - run_in
    bars = services.data.get_bars(sorted({p.symbol for p in ready}), start, now)
    scored = 0
    for symbol, group in _by_symbol(ready).items():
        frame = bars.get(symbol)
        if frame is None or frame.empty:
            continue
        for prediction, outcome, realized in _outcomes(frame, group, rules):
            services.store.predictions.score(
                prediction, outcome=outcome, realized_return=realized, at=now
            )
            scored += 1
    return scored


def _horizon(prediction: PredictionRecord, rules: PlanRules) -> int:
    return rules.horizon if _scored_by_plan(prediction) else prediction.horizon


def _window_passed(
    services: Services, pending: list[PredictionRecord], last: date, rules: PlanRules
) -> list[PredictionRecord]:
    """The predictions whose holding window may have passed by the `last` session: the
    rest wait without fetching bars (a replay keeps weeks of 100 symbols' predictions
    pending, and looking each up in the bars every session was most of its close)."""
    cutoffs: dict[int, date] = {}
    ready = []
    for prediction in pending:
        horizon = _horizon(prediction, rules)
        if horizon not in cutoffs:
            cutoffs[horizon] = services.calendar.previous_sessions(last, horizon + 1)[0]
        if prediction.bar_time.astimezone(UTC).date() <= cutoffs[horizon]:
            ready.append(prediction)
    return ready


def _by_symbol(predictions: list[PredictionRecord]) -> dict[str, list[PredictionRecord]]:
    groups: dict[str, list[PredictionRecord]] = {}
    for prediction in predictions:
        groups.setdefault(prediction.symbol, []).append(prediction)
    return groups


def _outcomes(
    frame: pd.DataFrame, group: list[PredictionRecord], rules: PlanRules
) -> Iterator[tuple[PredictionRecord, int, float]]:
    """(prediction, outcome, realised return) for those of one symbol the bars settle."""
    index = frame.index
    stamps = pd.DatetimeIndex([p.bar_time for p in group]).tz_convert(UTC)
    positions = index.searchsorted(stamps)
    known = [
        (prediction, int(position))
        for prediction, stamp, position in zip(group, stamps, positions, strict=True)
        if position < len(index) and index[int(position)] == stamp
    ]
    plan = [position for prediction, position in known if _scored_by_plan(prediction)]
    # Only from the earliest bar asked about: the plan walks each bar's trade.
    plan_r = plan_outcomes(frame, rules, first=min(plan)).r if plan else None
    closes = frame["close"]
    for prediction, position in known:
        if position + _horizon(prediction, rules) >= len(index):
            continue  # the holding window has not passed yet
        if plan_r is not None and _scored_by_plan(prediction):
            r = float(plan_r[position])
            # NaN after the window: the plan places no trade there (no usable stop), so
            # nothing was won or lost.
            yield (prediction, 0, 0.0) if r != r else (prediction, int(r > 0), r)
        else:
            realized = float(closes.iloc[position + prediction.horizon] / closes.iloc[position] - 1)
            yield prediction, int(realized > 0), realized
