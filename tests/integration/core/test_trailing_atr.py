"""The trailing-stop job trails by the features' ATR: ATR(14) over as much history as a
live cycle reads, which agrees with ATR(14) over the whole history. (It used to read 45
calendar days, whose Wilder-smoothed ATR was 2-5% off.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest
import talib

from core.agent.jobs.trailing import trail_stops
from core.agent.services import Services
from core.base.clock import SimulatedClock
from core.base.settings import Settings, TradingConfig, load_env_settings
from core.data.simulated import SimulatedMarket
from storage.records import PositionRecord

AFTER_CLOSE = datetime(2024, 7, 5, 21, 0, tzinfo=UTC)  # Friday, the session has closed
SYMBOLS = ("AAA", "BBB", "CCC")


@dataclass
class Book:
    """The part of the book the job reads and writes."""

    positions: list[PositionRecord]
    stops: dict[str, dict[str, Any]] = field(default_factory=dict)

    def open_positions(self) -> list[PositionRecord]:
        return self.positions

    def set_stops(self, symbol: str, **values: Any) -> None:
        self.stops[symbol] = values


@dataclass
class Desk:
    ensured: list[str] = field(default_factory=list)

    def ensure(self, symbol: str) -> None:
        self.ensured.append(symbol)


def full_history_atr(market: SimulatedMarket, symbol: str) -> tuple[float, float]:
    """ATR(14) over every bar the market has up to today, and today's high."""
    bars = market.get_bars([symbol], datetime(2000, 1, 1, tzinfo=UTC), AFTER_CLOSE)[symbol]
    high, low, close = (bars[c].to_numpy() for c in ("high", "low", "close"))
    return float(talib.ATR(high, low, close, 14)[-1]), float(high[-1])


def test_trailing_uses_the_full_history_atr() -> None:
    clock = SimulatedClock(AFTER_CLOSE)
    market = SimulatedMarket(clock=clock)
    settings = Settings(env=load_env_settings(None), trading=TradingConfig())
    positions = []
    for number, symbol in enumerate(SYMBOLS):
        _, today_high = full_history_atr(market, symbol)
        entry = today_high / 2  # far in profit: trailing is active
        positions.append(
            PositionRecord(
                id=number,
                symbol=symbol,
                quantity=10,
                avg_entry_price=entry,
                status="open",
                opened_at=AFTER_CLOSE,
                updated_at=AFTER_CLOSE,
                initial_stop=entry * 0.9,
                stop_price=entry * 0.9,
                highest_price=entry,
            )
        )
    book, desk = Book(positions), Desk()
    services = SimpleNamespace(
        settings=settings,
        clock=clock,
        data=market,
        store=SimpleNamespace(book=book),
        desk=SimpleNamespace(stops=desk),
    )

    moved = trail_stops(cast(Services, services))

    assert moved == len(SYMBOLS)
    assert desk.ensured == list(SYMBOLS)
    multiple = settings.trading.trailing.atr_multiple
    for symbol in SYMBOLS:
        atr, today_high = full_history_atr(market, symbol)
        expected = today_high - multiple * atr
        stops = book.stops[symbol]
        assert stops["highest_price"] == today_high
        # ~1e-12 apart: what is left of where the smoothing started, ~350 bars back.
        assert stops["stop_price"] == pytest.approx(expected, rel=1e-10, abs=0)
        assert stops["trailing_stop"] == stops["stop_price"]
