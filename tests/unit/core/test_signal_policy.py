"""Thresholds are edges over the typical, and only a proven model acts alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.agent.signal_policy import Route, edge, generate_signal, route_signal, typical
from core.base.settings import RuntimeSettings
from core.base.types import ModelPrediction, SignalType, TradingMode

AT = datetime(2024, 7, 5, 20, tzinfo=UTC)
RUNTIME = RuntimeSettings(min_edge=0.05, auto_edge=0.10)


def plan(p: float, *, base_rate: float = 0.40, selection: float | None = 0.45) -> ModelPrediction:
    return ModelPrediction(
        symbol="AAA",
        timestamp=AT,
        probability_up=p,
        target="plan",
        base_rate=base_rate,
        selection_threshold=selection,
    )


def direction(p: float) -> ModelPrediction:
    return ModelPrediction(symbol="AAA", timestamp=AT, probability_up=p)


@pytest.mark.parametrize(
    ("p", "selection", "expected"),
    [
        (0.46, 0.45, SignalType.BUY),  # 0.06 over a typical of 0.40: a buy below 0.5
        (0.44, 0.45, SignalType.HOLD),  # under min_edge
        (0.47, 0.48, SignalType.HOLD),  # the model's own selection bar is stricter
        (0.48, 0.48, SignalType.BUY),
        (0.45, None, SignalType.BUY),  # no selection bar stored: min_edge alone
    ],
)
def test_a_plan_buy_needs_the_edge_and_the_models_own_bar(
    p: float, selection: float | None, expected: SignalType
) -> None:
    assert generate_signal(plan(p, selection=selection), 0, RUNTIME) is expected


def test_a_plan_model_never_sells_its_exits_are_the_stops_and_the_time_limit() -> None:
    assert generate_signal(plan(0.05), held_quantity=10, runtime=RUNTIME) is SignalType.HOLD
    assert generate_signal(plan(0.90), held_quantity=10, runtime=RUNTIME) is SignalType.HOLD


@pytest.mark.parametrize(
    ("p", "held", "expected"),
    [
        (0.56, 0, SignalType.BUY),
        (0.54, 0, SignalType.HOLD),
        (0.44, 5, SignalType.SELL),
        (0.46, 5, SignalType.HOLD),
        (0.30, 0, SignalType.HOLD),  # no shorting
        (0.80, 5, SignalType.HOLD),  # no pyramiding
    ],
)
def test_the_direction_diagnostic_uses_even_odds_as_its_typical(
    p: float, held: int, expected: SignalType
) -> None:
    assert generate_signal(direction(p), held, RUNTIME) is expected


def test_typical_and_edge() -> None:
    assert typical(plan(0.5)) == 0.40
    assert edge(plan(0.52)) == pytest.approx(0.12)
    assert typical(direction(0.3)) == 0.5
    assert edge(direction(0.3)) == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("mode", "p", "proven", "route"),
    [
        (TradingMode.AUTO, 0.46, True, Route.EXECUTE),
        (TradingMode.HYBRID, 0.46, True, Route.ASK),  # edge 0.06 < auto_edge
        (TradingMode.HYBRID, 0.55, True, Route.EXECUTE),  # edge 0.15
        (TradingMode.MANUAL, 0.90, True, Route.ASK),
        (TradingMode.AUTO, 0.90, False, Route.ASK),
        (TradingMode.HYBRID, 0.90, False, Route.ASK),
    ],
)
def test_only_a_proven_model_executes_alone(
    mode: TradingMode, p: float, proven: bool, route: Route
) -> None:
    assert route_signal(mode, plan(p), RUNTIME, proven=proven) is route


def test_retired_absolute_thresholds_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"min_confidence was retired.*min_edge and auto_edge"):
        RuntimeSettings.model_validate({"min_confidence": 0.6})
    with pytest.raises(ValueError, match=r"min_edge \(0.2\) must not exceed auto_edge \(0.1\)"):
        RuntimeSettings(min_edge=0.2, auto_edge=0.1)
