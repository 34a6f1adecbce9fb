"""Scoring live predictions: each is scored once its holding window has passed, by the
plan's own rules over the bars (the same outcome `ml.labels.plan_outcomes` gives on the
whole history), and the rest wait unscored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.agent.agent import Agent
from core.agent.jobs.scoring import score_predictions
from core.base.clock import SimulatedClock
from core.base.types import ModelPrediction
from ml.labels import PlanRules, plan_outcomes
from storage.database import close_database
from tests.integration.conftest import CYCLE_TIME, start_agent

SYMBOLS = ("AAA", "BBB")
SESSIONS_BACK = 40


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[Agent]:
    agent, _ = start_agent(tmp_path / "home", SimulatedClock(CYCLE_TIME))
    yield agent
    close_database()


def history(agent: Agent) -> dict[str, pd.DataFrame]:
    now = agent.services.clock.now()
    return agent.services.data.get_bars(list(SYMBOLS), now - timedelta(days=600), now)


def test_predictions_are_scored_by_the_plan_once_their_window_has_passed(agent: Agent) -> None:
    bars = history(agent)
    rules = PlanRules.from_config(agent.services.settings.trading)
    predictions = [
        ModelPrediction(
            symbol=symbol,
            timestamp=stamp.to_pydatetime(),
            horizon=rules.horizon,
            probability_up=0.6,
            target="plan",
            model_run_id="run",
        )
        for symbol in SYMBOLS
        for stamp in bars[symbol].index[-SESSIONS_BACK:]
    ] + [
        ModelPrediction(
            symbol="AAA",
            timestamp=stamp.to_pydatetime(),
            horizon=1,
            probability_up=0.6,
            target="direction",
            model_run_id="run",
        )
        for stamp in bars["AAA"].index[-3:]
    ]
    store = agent.services.store.predictions
    store.save_predictions(predictions, now=CYCLE_TIME)

    scored = score_predictions(agent.services)

    by_key = {(p.symbol, p.details.get("target"), p.bar_time): p for p in store.scored()}
    expected_plan = 0
    for symbol in SYMBOLS:
        frame = bars[symbol]
        r = plan_outcomes(frame, rules).r
        for position in range(len(frame) - SESSIONS_BACK, len(frame)):
            key = (symbol, "plan", frame.index[position].to_pydatetime())
            if position + rules.horizon >= len(frame):
                assert key not in by_key, f"{key}: its window has not passed"
                continue
            expected_plan += 1
            record = by_key[key]
            if np.isnan(r[position]):
                assert (record.outcome, record.realized_return) == (0, 0.0)
            else:
                # 400 days of run-in for the ATR against 600 here: equal to ~1e-9.
                assert record.realized_return == pytest.approx(r[position], abs=1e-6)
                assert record.outcome == int(r[position] > 0)
    closes = bars["AAA"]["close"]
    direction = [p for (s, t, _), p in by_key.items() if t == "direction"]
    assert len(direction) == 2, "the last bar's next close is not known yet"
    for record in direction:
        position = int(closes.index.get_loc(pd.Timestamp(record.bar_time)))
        change = closes.iloc[position + 1] / closes.iloc[position] - 1
        assert record.realized_return == pytest.approx(change)
    assert scored == expected_plan + 2
    assert expected_plan == 2 * (SESSIONS_BACK - rules.horizon)

    assert score_predictions(agent.services) == 0, "each prediction is scored once"
    waiting = store.unscored(datetime.combine(CYCLE_TIME.date(), datetime.min.time(), UTC))
    assert len(waiting) == len(predictions) - scored
