"""`/review week` on a scripted history whose answer is known, decided on the phone:
AAA approved rises to its time exit (+$100), CCC approved at ½ size does the same
(+$48 for 12 shares instead of +$100 for 25), BBB rejected would have hit its 5% stop
the next day (−$125 avoided). So: rejections avoided $125 of losses and missed $0;
changes moved P&L by −$52; you vs full auto +$73."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bot.app import TelegramFrontEnd
from core.agent.agent import Agent
from core.app.composition import build_agent
from core.base.calendar import get_calendar
from core.base.clock import SimulatedClock
from core.base.settings import BrokerSettings, StopSettings, TradingConfig, TrailingSettings
from core.base.types import OrderStatus
from core.data.replay import ReplayMarket
from storage.database import close_database
from storage.signals import get_signal
from tests.fakes.telegram_server import FakeTelegramServer
from tests.integration.bot.conftest import (
    OWNER,
    VIEWER,
    press,
    replies_to,
    telegram_settings,
    until,
    watch_agent,
)
from tests.integration.conftest import PROVEN_MANIFEST, ScriptedPredictor, agent_settings

CALENDAR = get_calendar()
DECIDED = datetime(2024, 7, 2, 19, 45, tzinfo=UTC)  # Tuesday 15:45 New York
AFTER = (date(2024, 7, 3), date(2024, 7, 5), date(2024, 7, 8))  # a half day; July 4th shut
RISE = [(101, 102.5, 100.5, 102), (102, 104.5, 101.5, 104), (104, 105, 103, 104.5)]
FALL = [(99, 99.5, 94, 96), (96, 97, 95.5, 96), (96, 96.5, 95.5, 96)]


def history() -> dict[str, pd.DataFrame]:
    """Flat at $100 up to the decision; then AAA and CCC climb to 104, BBB gaps to 99
    and trades through a 5% stop at 95."""
    index = CALENDAR.sessions_index(date(2023, 6, 1), date(2024, 7, 12))
    frames = {}
    for symbol, path in {"AAA": RISE, "BBB": FALL, "CCC": RISE}.items():
        bars = np.tile([100.0, 100.2, 99.8, 100.0], (len(index), 1))
        for day, values in zip(AFTER, path, strict=True):
            bars[index.get_loc(pd.Timestamp(day, tz=UTC))] = values
        frame = pd.DataFrame(bars, index=index, columns=["open", "high", "low", "close"])
        frames[symbol] = frame.assign(volume=1e6)
    return frames


@pytest.fixture
async def scripted(
    tmp_path: Path, telegram: FakeTelegramServer
) -> AsyncIterator[tuple[Agent, ScriptedPredictor, SimulatedClock]]:
    clock = SimulatedClock(DECIDED)
    settings = agent_settings(tmp_path, mode="manual", symbols=("AAA", "BBB", "CCC"))
    trading = TradingConfig(
        runtime=settings.trading.runtime,
        stops=StopSettings(method="percent", percent=0.05, max_holding_sessions=3),
        trailing=TrailingSettings(enabled=False),
        broker=BrokerSettings(slippage_bps=0.0, commission_per_share=0.0),
    )
    market = ReplayMarket(history(), clock=clock, calendar=CALENDAR)
    agent = build_agent(settings.model_copy(update={"trading": trading}), clock=clock, data=market)
    predictor = ScriptedPredictor(market)  # type: ignore[arg-type]
    agent.engine.predictor = predictor
    agent.services.models.manifest = dict(PROVEN_MANIFEST)
    agent.engine.viewers = agent.engine.viewers | {f"telegram:{VIEWER}"}
    assert agent.session.start().ok
    watch_agent(agent, telegram)
    front_end = TelegramFrontEnd(
        telegram_settings(agent, telegram, viewers=(VIEWER,)), agent.engine, max_backoff=0.2
    )
    await front_end.start_in_background()
    try:
        yield agent, predictor, clock
    finally:
        await front_end.stop()
        close_database()


async def test_review_week_reports_what_the_vetoes_and_changes_did(scripted, telegram) -> None:
    agent, predictor, clock = scripted
    predictor.probabilities = {"AAA": 0.57, "BBB": 0.58, "CCC": 0.57}
    await agent.engine.run_cycle()
    pending = {s.symbol: s for s in await agent.engine.pending_signals()}
    assert set(pending) == {"AAA", "BBB", "CCC"}
    await until(lambda: len([m for m in replies_to(telegram) if m.photo]) == 3)
    shown = {s: next(m for m in replies_to(telegram) if m.photo and s in m.text) for s in pending}
    press(telegram, shown["AAA"], "✅ Approve")
    press(telegram, shown["CCC"], "½ size")
    press(telegram, shown["BBB"], "❌ Reject")
    await until(lambda: get_signal(pending["AAA"].id).status is OrderStatus.FILLED)
    await until(lambda: get_signal(pending["CCC"].id).status is OrderStatus.FILLED)
    await until(lambda: get_signal(pending["BBB"].id).status is OrderStatus.REJECTED)

    clock.set(datetime(2024, 7, 8, 21, tzinfo=UTC))  # within the week, every trade closed
    telegram.send_command(OWNER, "/review week")
    telegram.send_command(VIEWER, "/review")  # a viewer may read it too
    await until(lambda: any("Decisions:" in m.text for m in replies_to(telegram, VIEWER)))
    await until(lambda: any("Decisions:" in m.text for m in replies_to(telegram)))
    text = next(m.text for m in replies_to(telegram) if "Decisions:" in m.text)
    assert text.splitlines() == [
        "Your decisions, the last 7 days: 3 signals you decided.",
        "Your rejections avoided $125.00 of losses and missed $0.00 of gains; your changes "
        "moved P&L by −$52.00; you vs full auto: +$73.00.",
        "Stated vs happened: the signals said P(profit) 0.57 on average; 2 of 3 ended in "
        "profit (67%).",
        "",
        "Decisions:",
        "Jul 2 AAA approved: +$100.00, full auto +$100.00",
        "Jul 2 BBB rejected: would have made −$125.00",
        "Jul 2 CCC approved with a change: +$48.00, full auto +$100.00",
    ]
    viewer_text = next(m.text for m in replies_to(telegram, VIEWER) if "Decisions:" in m.text)
    assert viewer_text == text


async def test_review_usage(scripted, telegram) -> None:
    telegram.send_command(OWNER, "/review year")
    telegram.send_command(OWNER, "/review month")
    await until(lambda: len(replies_to(telegram)) >= 1)
    await until(lambda: "No decision of yours in the last 31 days" in replies_to(telegram)[-1].text)
    assert replies_to(telegram)[0].text.startswith("Usage: /review [week|month|all]")
