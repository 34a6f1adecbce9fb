"""Stored predictions, scored against what the market did once the horizon passed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from core.base.types import ModelPrediction
from storage.database import database_proxy
from storage.models import Prediction


def save_predictions(predictions: Iterable[ModelPrediction], *, now: datetime | None = None) -> int:
    """Insert each prediction once (symbol, bar, horizon, model run are unique)."""
    now = now or datetime.now(UTC)
    rows = [
        {
            "symbol": p.symbol,
            "bar_time": p.timestamp,
            "horizon": p.horizon,
            "probability_up": p.probability_up,
            "model_run_id": p.model_run_id or "",
            "details": {"models": p.model_probabilities, "agreement": p.agreement},
            "created_at": now,
        }
        for p in predictions
    ]
    if not rows:
        return 0
    with database_proxy.atomic():
        return Prediction.insert_many(rows).on_conflict_ignore().execute() or 0


def unscored(before: datetime) -> list[Prediction]:
    """Predictions for bars up to `before` whose outcome is still unknown."""
    return list(
        Prediction.select()
        .where(Prediction.outcome.is_null() & (Prediction.bar_time <= before))
        .order_by(Prediction.bar_time)
    )


def score(prediction: Prediction, *, outcome: int, realized_return: float, at: datetime) -> None:
    prediction.outcome = outcome
    prediction.realized_return = realized_return
    prediction.scored_at = at
    prediction.save()


def scored(since: datetime | None = None) -> list[Prediction]:
    query = Prediction.select().where(Prediction.outcome.is_null(False))
    if since is not None:
        query = query.where(Prediction.bar_time >= since)
    return list(query.order_by(Prediction.bar_time))
