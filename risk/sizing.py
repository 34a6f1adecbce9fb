"""Position sizing: how many whole shares a long entry may buy (fixed-fractional risk).

shares = floor(equity × risk_per_trade / (entry − stop)), then capped by the maximum
position size, the maximum order notional and buying power. Whichever limit binds is
reported, and a zero comes with the reason a person can read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol


class SizingRules(Protocol):
    """The part of the runtime settings sizing reads (RuntimeSettings satisfies it)."""

    risk_per_trade: float
    max_position_pct: float
    max_order_notional: float


@dataclass(frozen=True)
class PositionSize:
    shares: int
    risk_amount: float
    """Dollars lost if the stop is hit: shares × (entry − stop)."""
    limited_by: str
    """risk_per_trade, max_position_pct, max_order_notional, buying_power, or invalid."""
    reason: str | None = None
    """Why the size is zero; None when shares > 0."""


def _finite_positive(value: float) -> bool:
    return math.isfinite(value) and value > 0


def _invalid(reason: str) -> PositionSize:
    return PositionSize(shares=0, risk_amount=0.0, limited_by="invalid", reason=reason)


def size_long(
    *,
    equity: float,
    entry: float,
    stop: float,
    buying_power: float,
    rules: SizingRules,
) -> PositionSize:
    if not _finite_positive(equity):
        return _invalid(f"equity {equity:,.2f} is not positive")
    if not _finite_positive(entry):
        return _invalid(f"entry price {entry} is not a positive number")
    if not math.isfinite(stop) or stop <= 0:
        return _invalid(f"stop {stop} is not a positive number")
    if stop >= entry:
        return _invalid(f"stop {stop:.2f} is not below entry {entry:.2f}")
    distance = entry - stop
    budget = equity * rules.risk_per_trade
    caps = {
        "risk_per_trade": _whole_shares(budget, distance),
        "max_position_pct": _whole_shares(equity * rules.max_position_pct, entry),
        "max_order_notional": _whole_shares(rules.max_order_notional, entry),
        "buying_power": _whole_shares(max(buying_power, 0.0), entry),
    }
    limited_by = min(caps, key=lambda name: caps[name])
    shares = caps[limited_by]
    if shares == 0:
        return PositionSize(
            0,
            0.0,
            limited_by,
            _zero_reason(limited_by, equity, entry, distance, budget, buying_power),
        )
    return PositionSize(shares, shares * distance, limited_by)


def _whole_shares(dollars: float, per_share: float) -> int:
    """floor(dollars / per_share), corrected so shares × per_share never exceeds dollars
    (floating-point division can round 2.9999999 up to 3.0)."""
    shares = max(math.floor(dollars / per_share), 0)
    while shares > 0 and shares * per_share > dollars:
        shares -= 1
    return shares


def _zero_reason(
    limited_by: str,
    equity: float,
    entry: float,
    distance: float,
    budget: float,
    buying_power: float,
) -> str:
    if limited_by == "risk_per_trade":
        return (
            f"one share risks ${distance:,.2f} but the risk budget is ${budget:,.2f} "
            f"({budget / equity:.1%} of ${equity:,.2f})"
        )
    if limited_by == "buying_power":
        return f"buying power ${buying_power:,.2f} is below one share at ${entry:,.2f}"
    if limited_by == "max_order_notional":
        return f"one share at ${entry:,.2f} exceeds the maximum order value"
    return f"one share at ${entry:,.2f} exceeds the maximum position size"
