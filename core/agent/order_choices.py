"""What a person may change when approving a signal, and when its order goes out.

- **Modify before approve**: half the size, a limit price (typed, or one of three
  suggested near the quote), or a tighter stop. The changed order goes through the same
  approval path and pre-trade re-check; what changed is audited with the approval.
- **Outside market hours**: "at the open" (a market-on-open order, re-checked just
  before the open, then sent with time in force `opg`) or "extended hours" (a limit
  order that may fill before the open or after the close, day time in force — Alpaca's
  rule). Half days and holidays come from the broker's clock (or the calendar).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from core.base.errors import InvalidRequest
from core.base.types import SignalType, TradingSignal

Timing = Literal["now", "open", "extended"]
"""now: send at once (market open); open: market-on-open at the next open; extended:
a limit order for the extended-hours session."""

LIMIT_OFFSETS = (0.002, 0.005, 0.01)
"""Suggested limit prices: 0.2%, 0.5% and 1% better than the quote."""
TIGHTER_STOP_SHARE = 0.5
"""A tighter stop halves the distance from the price to the planned stop."""
QUEUE_LEAD = timedelta(minutes=10)
"""An order for the open is re-checked and sent this long before the open (Alpaca takes
market-on-open orders until 9:28)."""


@dataclass(frozen=True)
class OrderChange:
    """A person's change to the order a signal proposes (None/1.0: unchanged)."""

    size_factor: float = 1.0
    limit_price: float | None = None
    stop_price: float | None = None

    @property
    def changed(self) -> bool:
        return (
            self.size_factor != 1.0 or self.limit_price is not None or self.stop_price is not None
        )

    def describe(self) -> dict[str, object]:
        """What changed, for the audit row."""
        out: dict[str, object] = {}
        if self.size_factor != 1.0:
            out["size_factor"] = self.size_factor
        if self.limit_price is not None:
            out["limit_price"] = self.limit_price
        if self.stop_price is not None:
            out["stop_price"] = self.stop_price
        return out


@dataclass(frozen=True)
class OrderChoices:
    """What the front ends offer beside Approve and Reject."""

    signal_id: str
    market_open: bool
    next_open: datetime
    quote: float | None
    half_quantity: int
    suggested_limits: tuple[float, ...]
    tighter_stop: float | None
    """None for a SELL (its shares are protected by the position's stop already)."""


def cents(price: float) -> float:
    return round(price + 1e-9, 2) if price >= 1.0 else round(price + 1e-9, 4)


def choices_for(
    signal: TradingSignal, quote: float | None, *, market_open: bool, next_open: datetime
) -> OrderChoices:
    reference = quote or signal.price
    buying = signal.signal_type is SignalType.BUY
    limits = tuple(
        cents(reference * (1 - offset if buying else 1 + offset)) for offset in LIMIT_OFFSETS
    )
    tighter = None
    if buying and signal.stop_price is not None:
        tighter = cents(signal.price - TIGHTER_STOP_SHARE * (signal.price - signal.stop_price))
    return OrderChoices(
        signal_id=signal.id,
        market_open=market_open,
        next_open=next_open,
        quote=quote,
        half_quantity=max(signal.quantity // 2, 1),
        suggested_limits=limits,
        tighter_stop=tighter,
    )


def check_change(signal: TradingSignal, change: OrderChange, timing: Timing) -> None:
    """InvalidRequest naming each field that is not allowed, and why."""
    problems: dict[str, str] = {}
    if not 0 < change.size_factor <= 1:
        problems["size_factor"] = "the size may only shrink: a share above 0, at most 1"
    if change.limit_price is not None and not (
        math.isfinite(change.limit_price) and change.limit_price > 0
    ):
        problems["limit_price"] = f"{change.limit_price!r} is not a price"
    if change.stop_price is not None:
        stop = signal.stop_price
        if signal.signal_type is not SignalType.BUY or stop is None:
            problems["stop_price"] = "only a buy's stop can be tightened"
        elif not stop < change.stop_price < signal.price:
            problems["stop_price"] = (
                f"a tighter stop lies between the planned stop {stop:.2f} and the price "
                f"{signal.price:.2f}"
            )
    if timing == "extended" and change.limit_price is None:
        problems["limit_price"] = "extended hours take limit orders only: choose a limit price"
    if problems:
        raise InvalidRequest(
            "order not changed — " + "; ".join(f"{k}: {v}" for k, v in problems.items()),
            problems,
        )
