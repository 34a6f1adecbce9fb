"""From a prediction to a signal: direction, routing by mode, ids and expiry. Pure.

A prediction's *edge* is how far its probability beats the typical — what taking every
trade of the plan would give (the plan's base rate on the model's training history).
Thresholds are edges, never absolute probabilities: an honest model of daily stock
trades is rarely far from its base rate, and "0.80 confident" promised what none can
deliver.

- `generate_signal`: for the plan target (P = the plan's trade ends in profit), BUY when
  flat and the edge clears both the owner's `min_edge` and the model's own selection bar
  (the threshold its grade was measured at); never SELL — the plan's exits are its stop,
  trailing stop and time exit. For the next-day direction diagnostic, BUY on an edge up
  when flat, SELL on an edge down when long.
- `route_signal`: only a model graded *proven* out of sample executes alone: AUTO
  executes every signal, HYBRID those with an edge of at least `auto_edge`, MANUAL none.
  Until a model is proven every mode asks.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from enum import StrEnum

from core.base.settings import RuntimeSettings
from core.base.types import ModelPrediction, SignalType, TradingMode
from ml.selection import buy_bar, direction_leans, typical_for


class Route(StrEnum):
    EXECUTE = "execute"
    ASK = "ask"


def typical(prediction: ModelPrediction) -> float:
    return typical_for(prediction.target, prediction.base_rate)


def edge(prediction: ModelPrediction) -> float:
    """How far the prediction leans away from its typical, in its own direction."""
    return abs(prediction.probability_up - typical(prediction))


def generate_signal(
    prediction: ModelPrediction, held_quantity: float, runtime: RuntimeSettings
) -> SignalType:
    p = prediction.probability_up
    if prediction.target == "plan":
        bar = buy_bar(
            base_rate=prediction.base_rate,
            selection_threshold=prediction.selection_threshold,
            min_edge=runtime.min_edge,
        )
        return SignalType.BUY if held_quantity <= 0 and p >= bar else SignalType.HOLD
    up, down = direction_leans(p, runtime.min_edge)
    if held_quantity <= 0 and up:
        return SignalType.BUY
    if held_quantity > 0 and down:
        return SignalType.SELL
    return SignalType.HOLD


def route_signal(
    mode: TradingMode, prediction: ModelPrediction, runtime: RuntimeSettings, *, proven: bool
) -> Route:
    if not proven or mode is TradingMode.MANUAL:
        return Route.ASK
    if mode is TradingMode.AUTO:
        return Route.EXECUTE
    return Route.EXECUTE if edge(prediction) >= runtime.auto_edge else Route.ASK


def why_it_asks(mode: TradingMode, *, proven: bool) -> str | None:
    """The answer to a mode change when the mode cannot do what its name says."""
    if mode is TradingMode.MANUAL or proven:
        return None
    return (
        "this model has no proven edge out of sample, so trades will ask you: "
        f"{mode.value} executes alone only once a model is graded proven (its record "
        "says why it is not)"
    )


def signal_id(symbol: str, bar_time: datetime, now: datetime) -> str:
    """Readable, unique per symbol and decision time, ≤ 40 characters."""
    digest = hashlib.sha256(f"{symbol}|{bar_time.isoformat()}|{now.isoformat()}".encode())
    return f"{symbol.replace('.', '_')}-{now:%Y%m%dT%H%M}-{digest.hexdigest()[:6]}"


def expiry(now: datetime, ttl_minutes: int, session_close: datetime | None) -> datetime:
    """A waiting signal expires after its time to live, or at the close if sooner."""
    expires = now + timedelta(minutes=ttl_minutes)
    if session_close is not None and now < session_close < expires:
        return session_close
    return expires
