from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from core.base.types import (
    FeatureContribution,
    Fill,
    ModelPrediction,
    Order,
    OrderSide,
    OrderStatus,
    OrderType,
    Position,
    SignalType,
    TradingMode,
    TradingSignal,
    is_allowed_transition,
)

NOW = datetime(2024, 3, 1, 15, 0, tzinfo=UTC)


def signal(**overrides: object) -> TradingSignal:
    values: dict[str, object] = {
        "id": "sig_1",
        "symbol": "PLTR",
        "signal_type": SignalType.BUY,
        "confidence": 0.7,
        "price": 25.0,
        "quantity": 10,
        "stop_price": 23.0,
        "mode": TradingMode.HYBRID,
        "created_at": NOW,
        "expires_at": NOW + timedelta(minutes=15),
    }
    values.update(overrides)
    return TradingSignal(**values)


@pytest.mark.parametrize("symbol", ["PLTR", "BRK.B", "A", "SPY", "X1"])
def test_valid_symbols_accepted(symbol: str) -> None:
    assert signal(symbol=symbol).symbol == symbol


@pytest.mark.parametrize("symbol", ["pltr", "1ABC", "", "TOOLONGSYMBOL", "BRK-B", "A B"])
def test_invalid_symbols_name_the_field(symbol: str) -> None:
    with pytest.raises(ValidationError, match="symbol"):
        signal(symbol=symbol)


@pytest.mark.parametrize("confidence", [-0.01, 1.01, float("nan"), float("inf")])
def test_confidence_outside_unit_interval_refused(confidence: float) -> None:
    with pytest.raises(ValidationError, match="confidence"):
        signal(confidence=confidence)


def test_naive_timestamp_refused() -> None:
    with pytest.raises(ValidationError, match="created_at"):
        signal(created_at=datetime(2024, 3, 1, 15, 0))


def test_expiry_must_follow_creation() -> None:
    with pytest.raises(ValidationError, match="expires_at must be after created_at"):
        signal(expires_at=NOW)


def test_hold_has_no_quantity() -> None:
    with pytest.raises(ValidationError, match="HOLD"):
        signal(signal_type=SignalType.HOLD, quantity=5)


def test_records_are_immutable() -> None:
    s = signal()
    with pytest.raises(ValidationError):
        s.confidence = 0.9  # type: ignore[misc]


def test_unknown_fields_refused() -> None:
    with pytest.raises(ValidationError, match="colour"):
        signal(colour="red")


@pytest.mark.parametrize("quantity", [0, -1])
def test_order_quantity_must_be_positive(quantity: float) -> None:
    with pytest.raises(ValidationError, match="quantity"):
        Order(
            client_order_id="sb-1",
            symbol="PLTR",
            side=OrderSide.BUY,
            quantity=quantity,
            created_at=NOW,
        )


def test_limit_order_needs_limit_price() -> None:
    with pytest.raises(ValidationError, match="limit_price"):
        Order(
            client_order_id="sb-1",
            symbol="PLTR",
            side=OrderSide.BUY,
            order_type=OrderType.LIMIT,
            quantity=1,
            created_at=NOW,
        )


def test_client_order_id_at_most_48_characters() -> None:
    with pytest.raises(ValidationError, match="client_order_id"):
        Order(
            client_order_id="x" * 49,
            symbol="PLTR",
            side=OrderSide.BUY,
            quantity=1,
            created_at=NOW,
        )


def test_fill_and_position_validate_prices() -> None:
    with pytest.raises(ValidationError, match="price"):
        Fill(
            client_order_id="sb-1",
            symbol="PLTR",
            side=OrderSide.BUY,
            quantity=1,
            price=0,
            timestamp=NOW,
        )
    position = Position(
        symbol="PLTR", quantity=10, avg_entry_price=20, current_price=22, opened_at=NOW
    )
    assert position.unrealized_pnl == pytest.approx(20.0)
    assert position.market_value == pytest.approx(220.0)


def test_prediction_direction_and_confidence() -> None:
    down = ModelPrediction(
        symbol="SPY",
        timestamp=NOW,
        probability_up=0.3,
        model_probabilities={"gbm": 0.25, "momentum": 0.4},
        top_features=(FeatureContribution(name="rsi_14", value=71.0, contribution=-0.2),),
    )
    assert down.direction is SignalType.SELL
    assert down.confidence == pytest.approx(0.7)
    with pytest.raises(ValidationError, match="gbm"):
        ModelPrediction(
            symbol="SPY", timestamp=NOW, probability_up=0.5, model_probabilities={"gbm": 1.5}
        )


def test_signal_prediction_must_be_for_same_symbol() -> None:
    prediction = ModelPrediction(symbol="SPY", timestamp=NOW, probability_up=0.8)
    with pytest.raises(ValidationError, match=r"prediction\.symbol"):
        signal(prediction=prediction)


@pytest.mark.parametrize(
    ("start", "end", "allowed"),
    [
        (OrderStatus.PENDING, OrderStatus.APPROVED, True),
        (OrderStatus.PENDING, OrderStatus.EXPIRED, True),
        (OrderStatus.APPROVED, OrderStatus.SUBMITTED, True),
        (OrderStatus.SUBMITTED, OrderStatus.FILLED, True),
        (OrderStatus.PENDING, OrderStatus.FILLED, False),
        (OrderStatus.REJECTED, OrderStatus.APPROVED, False),
        (OrderStatus.FILLED, OrderStatus.CANCELLED, False),
    ],
)
def test_lifecycle_transitions(start: OrderStatus, end: OrderStatus, allowed: bool) -> None:
    assert is_allowed_transition(start, end) is allowed
