"""The decision review on a scripted history whose answer is known: AAA is approved and
rises to its time exit, CCC does the same but was approved at half size, BBB is rejected
and would have hit its stop the next day."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.agent.agent import Agent
from core.agent.order_choices import OrderChange
from core.app.composition import build_agent
from core.base.calendar import get_calendar
from core.base.clock import SimulatedClock
from core.base.settings import BrokerSettings, StopSettings, TradingConfig, TrailingSettings
from core.data.replay import ReplayMarket
from storage.database import close_database
from tests.integration.conftest import PROVEN_MANIFEST, ScriptedPredictor, agent_settings

CALENDAR = get_calendar()
DECIDED = date(2024, 7, 2)  # Tuesday
AFTER = (date(2024, 7, 3), date(2024, 7, 5), date(2024, 7, 8))  # a half day, July 4th shut


def history() -> dict[str, pd.DataFrame]:
    """Flat at 100 up to the decision; then AAA climbs 102, 104 and BBB gaps to 99 and
    trades down to 94 — through a 5% stop at 95."""
    index = CALENDAR.sessions_index(date(2023, 6, 1), date(2024, 7, 12))
    frames = {}
    rise = [(101, 102.5, 100.5, 102), (102, 104.5, 101.5, 104), (104, 105, 103, 104.5)]
    for symbol, path in {
        "AAA": rise,
        "CCC": rise,
        "BBB": [(99, 99.5, 94, 96), (96, 97, 95.5, 96), (96, 96.5, 95.5, 96)],
    }.items():
        bars = np.tile([100.0, 100.2, 99.8, 100.0], (len(index), 1))
        for day, values in zip(AFTER, path, strict=True):
            bars[index.get_loc(pd.Timestamp(day, tz=UTC))] = values
        frame = pd.DataFrame(bars, index=index, columns=["open", "high", "low", "close"])
        frames[symbol] = frame.assign(volume=1e6)
    return frames


@pytest.fixture
def decided(tmp_path: Path) -> Iterator[tuple[Agent, SimulatedClock]]:
    clock = SimulatedClock(datetime(2024, 7, 2, 19, 45, tzinfo=UTC))
    settings = agent_settings(tmp_path, mode="manual", symbols=("AAA", "BBB", "CCC"))
    trading = TradingConfig(
        runtime=settings.trading.runtime,
        stops=StopSettings(method="percent", percent=0.05, max_holding_sessions=3),
        trailing=TrailingSettings(enabled=False),
        broker=BrokerSettings(slippage_bps=0.0, commission_per_share=0.0),
    )
    settings = settings.model_copy(update={"trading": trading})
    market = ReplayMarket(history(), clock=clock, calendar=CALENDAR)
    agent = build_agent(settings, clock=clock, data=market)
    predictor = ScriptedPredictor(market)  # type: ignore[arg-type]
    agent.engine.predictor = predictor
    agent.services.models.manifest = dict(PROVEN_MANIFEST)
    assert agent.session.start().ok
    predictor.probabilities = {"AAA": 0.57, "BBB": 0.58, "CCC": 0.57}
    cycle = agent.engine.run_cycle_now()
    pending = {s.symbol: s for s in asyncio.run(agent.engine.pending_signals())}
    assert set(pending) == {"AAA", "BBB", "CCC"}, cycle.outcomes
    asyncio.run(agent.engine.approve(pending["AAA"].id, "telegram:1"))
    half = OrderChange(size_factor=0.5)
    asyncio.run(agent.engine.approve(pending["CCC"].id, "web:owner", change=half))
    asyncio.run(agent.engine.reject(pending["BBB"].id, "telegram:1"))
    clock.set(datetime(2024, 7, 8, 21, tzinfo=UTC))  # within the week
    yield agent, clock
    close_database()


def test_the_review_knows_what_each_decision_did_against_full_auto(decided) -> None:
    agent, _ = decided
    report = asyncio.run(agent.engine.review("week"))
    by_symbol = {d.symbol: d for d in report.decisions}
    # 25 shares each (the 25% position cap binds at $100).
    approved, rejected = by_symbol["AAA"], by_symbol["BBB"]
    assert (approved.decision, approved.state, approved.simulated) == ("approved", "closed", False)
    # Bought at 100 on the 2nd; held the 2nd, 3rd and 5th; time exit at the 5th's close.
    assert approved.pnl == pytest.approx(25 * (104 - 100))
    assert approved.full_auto_pnl == pytest.approx(approved.pnl)
    assert (rejected.decision, rejected.simulated, rejected.pnl) == ("rejected", True, 0.0)
    assert rejected.full_auto_pnl == pytest.approx(25 * (95 - 100))  # the stop at 95
    assert report.rejections_avoided_losses == pytest.approx(125.0)
    assert report.rejections_missed_gains == 0.0
    halved = by_symbol["CCC"]
    assert (halved.decision, halved.pnl) == ("modified", pytest.approx(12 * 4))
    assert halved.full_auto_pnl == pytest.approx(25 * 4)
    assert report.modifications_effect == pytest.approx(48 - 100)
    assert report.yours_minus_full_auto == pytest.approx(125.0 - 52.0)
    assert report.fills_effect == pytest.approx(0.0)  # filled at the signal's price
    assert report.yours_minus_full_auto == pytest.approx(
        report.rejections_avoided_losses
        - report.rejections_missed_gains
        + report.modifications_effect
        + report.fills_effect
    )
    assert report.daily == [(DECIDED, pytest.approx(148.0), pytest.approx(75.0))]
    assert [n for _, _, n in report.calibration] == [3]


def test_each_decision_names_who_decided_and_a_wrong_period_is_refused(decided) -> None:
    agent, _ = decided
    report = asyncio.run(agent.engine.review("all"))
    assert {d.actor for d in report.decisions} == {"telegram:1", "web:owner"}
    with pytest.raises(ValueError, match="period 'year'"):
        asyncio.run(agent.engine.review("year"))  # type: ignore[arg-type]
