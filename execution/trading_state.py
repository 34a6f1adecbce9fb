"""The one owner of the trading state (kill switch).

Every change — a person's kill or resume, the order manager's halt on refused keys,
the daily loss limit's halt and its lift at the next session — goes through
`TradingStateKeeper.change`: it reads the state with its version, lets the caller
decide from what is stored NOW, writes by compare-and-set on the version with the
audit row in the same transaction, and publishes exactly one event after the commit.
If another change won in between, it reads again and the caller decides again: so a
lift of the daily-loss halt can never undo a person's kill that landed meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable

from core.base.events import Event, TradingStateChanged
from core.base.types import TradingState, TradingStatus
from storage.port import StateRepo

Decide = Callable[[TradingStatus], TradingStatus | None]
"""From the stored status to the new one; None when nothing should change."""

_MAX_ATTEMPTS = 50


class TradingStateKeeper:
    def __init__(
        self, state: StateRepo, publish: Callable[[Event], None] = lambda event: None
    ) -> None:
        self._state = state
        self._publish = publish

    def current(self) -> TradingStatus:
        """The persisted status, read now (never a copy from earlier)."""
        return self._state.load_trading_status()

    def state(self) -> TradingState:
        return self.current().state

    def change(self, decide: Decide, *, origin: str | None = None) -> TradingStatus | None:
        """Apply `decide` to the stored status by compare-and-set; the new status, or
        None when `decide` wanted no change."""
        for _ in range(_MAX_ATTEMPTS):
            stored = self._state.load_versioned_status()
            new = decide(stored.status)
            if new is None:
                return None
            if self._state.change_trading_status(
                new, expected_version=stored.version, origin=origin
            ):
                self._publish(TradingStateChanged(status=new, previous=stored.status.state))
                return new
        raise RuntimeError(
            f"the trading state kept changing under {_MAX_ATTEMPTS} attempts to change it"
        )
