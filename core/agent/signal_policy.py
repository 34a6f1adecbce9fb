"""From a prediction to a signal: direction, routing by mode, ids and expiry. Pure.

- `generate_signal`: BUY when the ensemble says up and we are flat; SELL when it says
  down and we are long; HOLD otherwise (no shorting, no pyramiding).
- `route_signal`: AUTO executes at or above `auto_threshold` and drops the rest; MANUAL
  asks about every signal at or above `min_confidence`; HYBRID executes at or above
  `auto_threshold` and asks between `min_confidence` and it. Below `min_confidence`
  every mode drops the signal.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from enum import StrEnum

from core.base.settings import RuntimeSettings
from core.base.types import ModelPrediction, SignalType, TradingMode


class Route(StrEnum):
    EXECUTE = "execute"
    ASK = "ask"
    DROP = "drop"


def generate_signal(prediction: ModelPrediction, held_quantity: float) -> SignalType:
    up = prediction.probability_up >= 0.5
    if up and held_quantity <= 0:
        return SignalType.BUY
    if not up and held_quantity > 0:
        return SignalType.SELL
    return SignalType.HOLD


def route_signal(mode: TradingMode, confidence: float, runtime: RuntimeSettings) -> Route:
    if confidence < runtime.min_confidence:
        return Route.DROP
    confident = confidence >= runtime.auto_threshold
    if mode is TradingMode.AUTO:
        return Route.EXECUTE if confident else Route.DROP
    if mode is TradingMode.MANUAL:
        return Route.ASK
    return Route.EXECUTE if confident else Route.ASK


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
