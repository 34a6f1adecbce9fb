from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from core.agent.predictor import LivePredictor
from core.app.demo import train_quick_model
from core.base.clock import SimulatedClock
from core.base.events import SignalCreated
from core.base.types import OrderStatus
from storage import orders
from storage.database import close_database
from storage.models import Order
from tests.integration.conftest import agent_settings, start_agent


def test_restart_mid_session_loses_nothing(tmp_path: Path, clock: SimulatedClock) -> None:
    home = tmp_path / "home"
    agent, predictor = start_agent(home, clock)
    engine = agent.engine
    asyncio.run(engine.set_mode("hybrid", "telegram:1"))
    asyncio.run(engine.update_settings({"risk_per_trade": 0.01}, "telegram:1"))
    predictor.probabilities = {"AAA": 0.95, "BBB": 0.57}  # one executes, one waits
    asyncio.run(engine.run_cycle())
    pending_before = [s.id for s in asyncio.run(engine.pending_signals())]
    orders_before = [(o.client_order_id, o.status) for o in Order.select()]
    close_database()  # the process dies

    clock.advance(timedelta(minutes=5))  # mid-session, the waiting signal is still valid
    restarted, _ = start_agent(home, clock)
    try:
        after = restarted.engine
        assert [s.id for s in asyncio.run(after.pending_signals())] == pending_before
        assert [(o.client_order_id, o.status) for o in Order.select()] == orders_before
        assert orders_before[0][1] == OrderStatus.FILLED.value
        assert after.settings().risk_per_trade == 0.01
        assert asyncio.run(after.status()).positions == 1
    finally:
        close_database()


def test_a_cycle_with_a_trained_model(tmp_path: Path, clock: SimulatedClock) -> None:
    """The live path: bars with the warm-up → validation → features → ensemble."""
    home = tmp_path / "home"
    settings = agent_settings(home)
    agent, _ = start_agent(home, clock)
    try:
        market = agent.engine.predictor.market
        until = clock.now().date() - timedelta(days=1)
        # Four years: two yearly folds to grade, in seconds.
        train_quick_model(settings, market, ["AAA", "BBB"], until, lstm=False, years=4)
        from core.app.composition import load_current_model

        load_current_model(settings.models_dir, agent.services.models)
        ml = settings.trading.ml
        agent.engine.predictor = LivePredictor(
            data=agent.services.data,
            calendar=agent.services.calendar,
            models=agent.services.models,
            lookback=ml.lookback,
            horizon=ml.horizon,
        )
        seen = []
        agent.services.bus.add_listener(seen.append)
        report = agent.engine.run_cycle_now()
        assert {o.symbol for o in report.outcomes} == {"AAA", "BBB"}
        assert all(o.probability_up is not None for o in report.outcomes)
        from storage.models import Prediction

        assert Prediction.select().count() == 2
        assert Prediction.get().model_run_id == agent.services.models.run_id
        created = [e for e in seen if isinstance(e, SignalCreated)]
        assert len(created) == sum(o.action in ("ask", "executed") for o in report.outcomes)
        assert orders.unfinished() == []
    finally:
        close_database()
