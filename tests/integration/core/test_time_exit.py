"""The plan's time exit: a position is sold at the decision step of its
`max_holding_sessions`-th session held, once — a halt holds it back, a repeat never
sells twice — and the sale is booked with the reason "time"."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from core.agent.agent import Agent
from core.agent.jobs.time_exit import exit_overdue_positions, sessions_held
from core.app.composition import build_agent
from core.base.calendar import get_calendar
from core.base.clock import SimulatedClock
from core.base.settings import StopSettings, TradingConfig
from core.base.types import KillScope
from storage import book, orders
from storage.database import close_database
from tests.integration.conftest import (
    CYCLE_TIME,
    PROVEN_MANIFEST,
    ScriptedPredictor,
    ShockableMarket,
    agent_settings,
)

CALENDAR = get_calendar()
HOLD_FOR = 3


@pytest.fixture
def held(tmp_path: Path) -> Iterator[tuple[Agent, SimulatedClock]]:
    """AAA bought at the decision step of Friday 2024-07-05 (session 1 of 3)."""
    clock = SimulatedClock(CYCLE_TIME)
    settings = agent_settings(tmp_path, mode="auto", risk_per_trade=0.05)
    # A stop far away: only the time limit may close the position here.
    stops = StopSettings(method="percent", percent=0.2, max_holding_sessions=HOLD_FOR)
    trading = TradingConfig(runtime=settings.trading.runtime, stops=stops)
    settings = settings.model_copy(update={"trading": trading})
    market = ShockableMarket(clock=clock)
    agent = build_agent(settings, clock=clock, data=market)
    predictor = ScriptedPredictor(market)
    agent.engine.predictor = predictor
    agent.services.models.manifest = dict(PROVEN_MANIFEST)
    assert agent.session.start().ok
    predictor.probabilities = {"AAA": 0.9}
    report = agent.engine.run_cycle_now()
    assert book.open_position("AAA") is not None, report.outcomes
    predictor.probabilities = {}  # no new signals: only the time limit acts
    yield agent, clock
    close_database()


def decide_on(agent: Agent, clock: SimulatedClock, day: date) -> None:
    clock.set(datetime.combine(day, CYCLE_TIME.time(), tzinfo=UTC))
    agent.engine.run_cycle_now()


def time_exits() -> list:
    return [o for o in orders.recent() if o.reason == "time"]


def test_sessions_are_counted_from_the_one_the_position_was_bought_in() -> None:
    bought = datetime(2024, 7, 5, 19, 45, tzinfo=UTC)
    assert sessions_held(CALENDAR, bought, date(2024, 7, 5)) == 1
    assert sessions_held(CALENDAR, bought, date(2024, 7, 9)) == 3  # weekend not counted
    after_close = datetime(2024, 7, 3, 21, 30, tzinfo=UTC)  # extended hours, then July 4th
    assert sessions_held(CALENDAR, after_close, date(2024, 7, 5)) == 1


def test_the_position_is_sold_on_its_last_session_with_reason_time(held) -> None:
    agent, clock = held
    decide_on(agent, clock, date(2024, 7, 8))
    assert time_exits() == []
    assert book.open_position("AAA") is not None
    decide_on(agent, clock, date(2024, 7, 9))
    [sale] = time_exits()
    assert (sale.side, sale.purpose, sale.status) == ("sell", "reduce", "filled")
    assert book.open_position("AAA") is None
    assert book.last_position("AAA").exit_reason == "time"
    assert exit_overdue_positions(agent.services) == 0, "nothing left to sell, nothing sent"


def test_a_halt_holds_the_time_exit_back_until_resume(held) -> None:
    agent, clock = held
    asyncio.run(agent.engine.kill(KillScope.STOP, "telegram:1"))
    decide_on(agent, clock, date(2024, 7, 9))
    assert time_exits() == [], "halted: no order leaves, the protective stop stays"
    assert book.open_position("AAA") is not None
    asyncio.run(agent.engine.resume("telegram:1"))
    decide_on(agent, clock, date(2024, 7, 10))
    assert [o.status for o in time_exits()] == ["filled"]
    assert book.open_position("AAA") is None
