"""The trading state has one owner (issue 15): a person's kill racing the lift of the
daily-loss halt at a new session always ends HALTED by the person."""

from __future__ import annotations

import threading
from datetime import timedelta

from core.agent import controls
from core.agent.jobs.daily_loss import check_daily_loss
from core.base.types import KillScope, TradingState, TradingStatus
from risk.daily_loss import DAILY_LOSS_REASON, RISK_ACTOR


def test_a_kill_racing_the_daily_loss_lift_always_ends_halted(agent) -> None:
    agent, _ = agent
    s = agent.services
    keeper = s.desk.trading_state
    yesterday = s.clock.now() - timedelta(days=1)
    halted_by_the_limit = TradingStatus(
        state=TradingState.HALTED,
        changed_by=RISK_ACTOR,
        reason=f"{DAILY_LOSS_REASON}: equity fell 6%",
        changed_at=yesterday,
    )
    outcomes = []
    for _ in range(60):
        keeper.change(lambda current: halted_by_the_limit)  # the lift is due now
        start = threading.Barrier(2)

        def lift(start: threading.Barrier = start) -> None:
            start.wait()
            check_daily_loss(s)

        def kill(start: threading.Barrier = start) -> None:
            start.wait()
            controls.kill(s, KillScope.STOP, "telegram:1", "chat:1")

        threads = [threading.Thread(target=lift), threading.Thread(target=kill)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        final = keeper.current()
        outcomes.append((final.state, final.changed_by))
    assert set(outcomes) == {(TradingState.HALTED, "telegram:1")}
