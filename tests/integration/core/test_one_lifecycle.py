"""One session lifecycle (issue 13): the same sessions driven by the demo's clock and
by the backtest's replay run the same jobs in the same order and send the same orders —
the drivers only choose WHEN (the demo fills at once before the close, the replay at
the next open)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from core.agent.predictor import PrecomputedPredictor
from core.app.composition import build_agent
from core.base.calendar import get_calendar
from core.base.clock import SimulatedClock
from core.base.types import ModelPrediction
from core.data.replay import ReplayMarket
from core.drivers.backtest import BacktestConfig, run_backtest
from core.drivers.demo import DemoDriver
from storage import orders
from storage.database import close_database
from tests.integration.conftest import PROVEN_MANIFEST, agent_settings

SYMBOLS = ("AAA", "BBB")
DAYS = (date(2024, 7, 8), date(2024, 7, 9), date(2024, 7, 10))  # Monday to Wednesday


def flat_history() -> dict[str, pd.DataFrame]:
    """Sessions that open at their close with a small range: any moment of a session has
    the same price, so the demo (deciding before the close, filling at once) and the
    replay (deciding at the close, filling at the next open) size and trade alike."""
    index = get_calendar().sessions_index(date(2023, 6, 1), date(2024, 7, 12))
    out = {}
    for number, symbol in enumerate(SYMBOLS):
        close = np.full(len(index), 40.0 + 10 * number)
        out[symbol] = pd.DataFrame(
            {"open": close, "high": close + 0.2, "low": close - 0.2, "close": close, "volume": 1e6},
            index=index,
        )
    return out


def scripted(history: dict[str, pd.DataFrame]) -> PrecomputedPredictor:
    """Buy AAA on Monday, sell it on Tuesday; BBB stays flat."""
    calls = {(DAYS[0], "AAA"): 0.95, (DAYS[1], "AAA"): 0.05, (DAYS[0], "BBB"): 0.5}
    predictions, atr = {}, {}
    for (day, symbol), probability in calls.items():
        stamp = pd.Timestamp(day, tz=UTC)
        predictions[(stamp, symbol)] = ModelPrediction(
            symbol=symbol, timestamp=stamp.to_pydatetime(), probability_up=probability
        )
        atr[(stamp, symbol)] = 1.0
    return PrecomputedPredictor(predictions, atr)


def test_the_demo_and_the_backtest_run_the_same_jobs_and_orders(tmp_path: Path) -> None:
    history = flat_history()
    settings = agent_settings(tmp_path / "demo", mode="auto")

    replay_jobs: list[str] = []
    replayed = run_backtest(
        settings,
        history,
        BacktestConfig(symbols=SYMBOLS, start=DAYS[0], end=DAYS[-1]),
        predictor=scripted(history),
        workdir=tmp_path,
        trace=replay_jobs.append,
    )

    calendar = get_calendar()
    clock = SimulatedClock(calendar.session_open(DAYS[0]))
    market = ReplayMarket(history, clock=clock, calendar=calendar, name="replay")
    agent = build_agent(settings, clock=clock, data=market)
    try:
        agent.engine.predictor = scripted(history)
        agent.services.models.manifest = dict(PROVEN_MANIFEST)  # auto acts alone
        demo_jobs: list[str] = []
        agent.session.trace = demo_jobs.append
        agent.session.start()
        driver = DemoDriver(agent, clock)
        for day in DAYS:
            driver.open_session(day)
            driver.decide(day)
            driver.close_session(day)
        demo_orders = [(o.symbol, o.side, o.quantity, o.purpose) for o in reversed(orders.recent())]
    finally:
        close_database()

    assert demo_jobs == replay_jobs
    assert demo_jobs.count("cycle") == len(DAYS)
    decided = [(t.symbol, t.qty, t.exit_reason) for t in replayed.trades]
    assert decided == [("AAA", demo_orders[0][2], "signal")]
    entries_and_exits = [o for o in demo_orders if o[3] != "protect"]
    assert entries_and_exits == [
        ("AAA", "buy", demo_orders[0][2], "open"),
        ("AAA", "sell", demo_orders[0][2], "reduce"),
    ]
    assert datetime.fromisoformat(replayed.trades[0].entry_time).date() == DAYS[1]
