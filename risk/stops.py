"""Initial stops, trailing stops and the stop check on each price update.

A stop never moves against the position (down, for a long). The trailing stop starts
once the position has gained `activate_at_r` times its initial risk R.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Protocol


class StopRules(Protocol):
    """Initial stop parameters (core.base.settings.StopSettings satisfies it)."""

    method: Literal["atr", "percent"]
    atr_multiple: float
    percent: float


class TrailingRules(Protocol):
    """Trailing stop parameters (core.base.settings.TrailingSettings satisfies it)."""

    enabled: bool
    activate_at_r: float
    method: Literal["atr", "percent"]
    atr_multiple: float
    percent: float


class StopError(ValueError):
    """A stop cannot be computed from these inputs; the trade is refused with this text."""


def initial_stop(entry: float, atr: float | None, rules: StopRules) -> float:
    if not (math.isfinite(entry) and entry > 0):
        raise StopError(f"entry price {entry} is not a positive number")
    if rules.method == "percent":
        return entry * (1.0 - rules.percent)
    if atr is None or not math.isfinite(atr) or atr <= 0:
        raise StopError(f"ATR {atr} is not a positive number; cannot place an ATR stop")
    stop = entry - rules.atr_multiple * atr
    if stop <= 0:
        raise StopError(
            f"a stop {rules.atr_multiple} × ATR ({atr:.2f}) below {entry:.2f} is not positive"
        )
    return stop


@dataclass(frozen=True)
class LongStop:
    """The stop state of one long position."""

    entry: float
    initial_stop: float
    stop: float
    highest: float
    trailing: bool = False

    @property
    def risk_per_share(self) -> float:
        """R: the initial distance from entry to stop."""
        return self.entry - self.initial_stop

    @classmethod
    def open(cls, entry: float, stop: float) -> LongStop:
        if stop >= entry:
            raise StopError(f"stop {stop:.2f} is not below entry {entry:.2f}")
        return cls(entry=entry, initial_stop=stop, stop=stop, highest=entry)


def update_trailing(
    state: LongStop, high: float, atr: float | None, rules: TrailingRules
) -> LongStop:
    """Raise the stop after a new high once the profit threshold is reached; never lower.

    Builds the new state directly rather than with `dataclasses.replace`: the plan's
    labels walk every session of every trade through here (millions of calls for a
    100-symbol backtest), and `replace` was half of building its samples."""
    highest = max(state.highest, high)
    trailing = state.trailing
    stop = state.stop
    if rules.enabled and (
        trailing or highest - state.entry >= rules.activate_at_r * state.risk_per_share
    ):
        if rules.method == "percent":
            candidate = highest * (1.0 - rules.percent)
        elif atr is not None and math.isfinite(atr) and atr > 0:
            candidate = highest - rules.atr_multiple * atr
        else:
            candidate = stop  # no usable ATR: keep the stop where it is
        stop, trailing = max(stop, candidate), True
    if highest == state.highest and stop == state.stop and trailing == state.trailing:
        return state
    return LongStop(state.entry, state.initial_stop, stop, highest, trailing)


@dataclass(frozen=True)
class StopExit:
    price: float
    """Where the exit is assumed to fill: the stop, or the open when it gapped through."""
    gapped: bool
    reason: Literal["stop", "trailing_stop"]


def check_stop(state: LongStop, *, open_price: float, low: float) -> StopExit | None:
    """The exit due for a bar (or a single price, with open_price = low = price)."""
    reason: Literal["stop", "trailing_stop"] = "trailing_stop" if state.trailing else "stop"
    if open_price <= state.stop:
        return StopExit(price=open_price, gapped=True, reason=reason)
    if low <= state.stop:
        return StopExit(price=state.stop, gapped=False, reason=reason)
    return None
