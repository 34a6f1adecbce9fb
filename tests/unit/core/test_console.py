"""The terminal's line for a signal names what its probability is the probability of,
as the phone and the page do (never a bare "confidence")."""

from __future__ import annotations

from datetime import UTC, datetime

from core.app.console import describe
from core.base.events import SignalCreated
from core.base.types import ModelPrediction, SignalType, TradingMode, TradingSignal

NOW = datetime(2025, 12, 1, 20, 45, tzinfo=UTC)


def signal(target: str) -> TradingSignal:
    return TradingSignal(
        id="NVDA-20251201T2045-6a8e7e",
        symbol="NVDA",
        signal_type=SignalType.BUY,
        confidence=0.66,
        price=64.80,
        quantity=38,
        stop_price=62.61,
        risk_amount=83.22,
        mode=TradingMode.HYBRID,
        created_at=NOW,
        expires_at=NOW.replace(hour=21),
        prediction=ModelPrediction(
            symbol="NVDA", timestamp=NOW, probability_up=0.66, target=target
        ),
    )


def test_a_plan_signal_reads_as_the_chance_of_profit() -> None:
    line = describe(SignalCreated(signal=signal("plan"), asks=False))
    assert line == (
        "SIGNAL  BUY 38 NVDA @ 64.80 P(profit) 0.66 stop 62.61 — will execute "
        "[NVDA-20251201T2045-6a8e7e]"
    )


def test_a_direction_signal_reads_as_the_chance_of_up() -> None:
    line = describe(SignalCreated(signal=signal("direction"), asks=True))
    assert line is not None
    assert " P(up) 0.66 " in line
    assert line.endswith("asks for approval [NVDA-20251201T2045-6a8e7e]")
