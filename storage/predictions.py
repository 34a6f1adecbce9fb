"""Stored predictions, scored against what the market did once the horizon passed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from core.base.types import ModelPrediction
from storage.database import database_proxy
from storage.models import Prediction
from storage.records import PredictionRecord


def save_predictions(predictions: Iterable[ModelPrediction], *, now: datetime | None = None) -> int:
    """Insert each prediction once (symbol, bar, horizon, model run are unique)."""
    now = now or datetime.now(UTC)
    rows = [prediction_row(p, now) for p in predictions]
    if not rows:
        return 0
    with database_proxy.atomic():
        return Prediction.insert_many(rows).on_conflict_ignore().execute() or 0


def prediction_row(p: ModelPrediction, now: datetime) -> dict[str, object]:
    """The columns of one stored prediction (the same for every store)."""
    return {
        "symbol": p.symbol,
        "bar_time": p.timestamp,
        "horizon": p.horizon,
        "probability_up": p.probability_up,
        "model_run_id": p.model_run_id or "",
        "details": {
            "models": p.model_probabilities,
            "agreement": p.agreement,
            "target": p.target,
            "expected_r": p.expected_r,
            "base_rate": p.base_rate,
            "typical_r": p.typical_r,
            "selection_threshold": p.selection_threshold,
        },
        "created_at": now,
    }


def _record(row: Prediction) -> PredictionRecord:
    return PredictionRecord(
        id=row.id,
        symbol=row.symbol,
        bar_time=row.bar_time,
        horizon=row.horizon,
        probability_up=row.probability_up,
        model_run_id=row.model_run_id,
        created_at=row.created_at,
        details=row.details,
        outcome=row.outcome,
        realized_return=row.realized_return,
        scored_at=row.scored_at,
    )


def unscored(before: datetime) -> list[PredictionRecord]:
    """Predictions for bars up to `before` whose outcome is still unknown."""
    rows = (
        Prediction.select()
        .where(Prediction.outcome.is_null() & (Prediction.bar_time <= before))
        .order_by(Prediction.bar_time)
    )
    return [_record(row) for row in rows]


def score(
    prediction: PredictionRecord, *, outcome: int, realized_return: float, at: datetime
) -> None:
    prediction.outcome = outcome
    prediction.realized_return = realized_return
    prediction.scored_at = at
    Prediction.update(outcome=outcome, realized_return=realized_return, scored_at=at).where(
        Prediction.id == prediction.id
    ).execute()


def scored(since: datetime | None = None) -> list[PredictionRecord]:
    query = Prediction.select().where(Prediction.outcome.is_null(False))
    if since is not None:
        query = query.where(Prediction.bar_time >= since)
    return [_record(row) for row in query.order_by(Prediction.bar_time)]
