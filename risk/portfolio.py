"""What the book holds, as risk sees it: positions with their stops, exposure, stop risk."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class HeldPosition:
    symbol: str
    quantity: float
    last_price: float
    stop_price: float | None = None
    opened_session: date | None = None
    """Exchange session the position was opened in (for the day-trade rule)."""

    @property
    def market_value(self) -> float:
        return self.quantity * self.last_price

    @property
    def stop_risk(self) -> float:
        """Dollars lost if the stop is hit from the last price. Without a stop the whole
        value is at risk (the conservative reading)."""
        if self.stop_price is None:
            return self.market_value
        return self.quantity * max(0.0, self.last_price - self.stop_price)


def exposure(positions: Iterable[HeldPosition]) -> float:
    return sum(p.market_value for p in positions)


def stop_risk(positions: Iterable[HeldPosition]) -> float:
    """Sum of the open positions' stop risk; divided by equity it is the portfolio risk
    that `max_portfolio_risk` caps."""
    return sum(p.stop_risk for p in positions)
