"""Reasons are computed exactly where a signal can follow — the signal policy's own
rule (`ml.selection`), not a looser bar of its own: for the plan target a P(profit) at
or above max(base rate + min_edge, the model's selection bar), never the low side (the
plan never sells on a forecast). A looser bar explained predictions nobody sees, the
costliest part of a backtest window."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.agent.signal_policy import generate_signal
from core.base.settings import RuntimeSettings
from core.base.types import SignalType
from core.data.simulated import SimulatedMarket
from ml.dataset import build_samples
from ml.ensemble import Ensemble
from ml.models.gbm import GbmModel
from ml.models.momentum import MomentumModel
from ml.targets import PlanTarget

SYMBOLS = [f"R{i:02d}" for i in range(8)]


@pytest.fixture(scope="module")
def plan_model_and_samples() -> tuple[Ensemble, object]:
    bars = SimulatedMarket(seed=5).get_bars(
        SYMBOLS, datetime(2016, 1, 1, tzinfo=UTC), datetime(2023, 12, 29, tzinfo=UTC)
    )
    samples = build_samples(bars, target=PlanTarget())
    stamps = samples.timestamps
    cut = stamps.sort_values()[int(len(stamps) * 0.8)]
    model = Ensemble([GbmModel(rounds=40), MomentumModel()])
    model.fit(samples.subset(stamps < cut))
    return model, samples.subset(stamps >= cut)


@pytest.mark.parametrize("min_edge", [0.0, 0.05, 0.1])
def test_reasons_exactly_where_a_buy_can_follow(
    plan_model_and_samples: tuple[Ensemble, object], min_edge: float
) -> None:
    model, ahead = plan_model_and_samples
    runtime = RuntimeSettings(min_edge=min_edge, auto_edge=max(min_edge, 0.1))
    predictions = model.predictions(ahead, explain_edge=min_edge)  # type: ignore[arg-type]
    explained = [bool(p.top_features) for p in predictions]
    buys = [generate_signal(p, 0.0, runtime) is SignalType.BUY for p in predictions]
    assert explained == buys
    # Both kinds occur, so the equality says something; the low side gets no reasons.
    assert 0 < sum(buys) < len(buys)
    assert not any(p.top_features for p in predictions if p.probability_up < 0.5)


def test_no_edge_given_explains_every_prediction(
    plan_model_and_samples: tuple[Ensemble, object],
) -> None:
    model, ahead = plan_model_and_samples
    predictions = model.predictions(ahead)  # type: ignore[arg-type]
    assert all(p.top_features for p in predictions)
