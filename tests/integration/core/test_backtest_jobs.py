"""Backtests started through the Engine run in a child process; progress and the result
land in the agent's database, and a run cut off by a restart says so."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from core.agent.agent import Agent
from core.agent.engine import BacktestRequest, BacktestRunView
from core.app.composition import build_agent
from core.base.clock import SimulatedClock
from storage import backtest_runs
from storage.database import close_database
from storage.models import AuditEvent
from tests.integration.conftest import CYCLE_TIME, ScriptedPredictor, agent_settings


async def _finished(agent: Agent, run_id: str, seconds: float = 240) -> BacktestRunView:
    for _ in range(int(seconds / 0.5)):
        run = await agent.engine.backtest_run(run_id)
        if run.status != "running":
            return run
        await asyncio.sleep(0.5)
    raise AssertionError(f"backtest {run_id} still running after {seconds} s")


async def test_a_backtest_runs_off_the_loop_and_keeps_its_result(
    agent: tuple[Agent, ScriptedPredictor],
) -> None:
    engine = agent[0].engine
    request = BacktestRequest(
        ("aaa", " BBB"), date(2024, 1, 2), date(2024, 3, 28), "sim", ("momentum",)
    )
    run_id = await engine.start_backtest(request, "web:owner", "web:127.0.0.1")
    assert (await engine.backtest_run(run_id)).status == "running"
    run = await _finished(agent[0], run_id)
    assert run.status == "done", run.error
    assert run.done == run.total > 50
    assert run.result is not None
    assert run.result["sessions"] == run.total
    assert {"total_return", "sharpe", "max_drawdown"} <= set(run.result["metrics"])
    assert len(run.result["benchmark"]["equity"]) == run.total
    assert [r.id for r in await engine.backtest_runs()] == [run_id]
    started = AuditEvent.get(AuditEvent.action == "backtest.start")
    assert started.details["run_id"] == run_id
    assert started.details["symbols"] == ["AAA", "BBB"]  # what ran, not what was typed
    assert started.origin == "web:127.0.0.1"


async def test_a_failing_backtest_is_recorded_with_its_reason(
    agent: tuple[Agent, ScriptedPredictor],
) -> None:
    engine = agent[0].engine
    request = BacktestRequest(("AAA",), date(2024, 1, 2), date(2024, 3, 28), "csv", ("momentum",))
    run = await _finished(agent[0], await engine.start_backtest(request, "web:owner"))
    assert run.status == "failed"
    assert "STOCKBOT_DATA_DIR" in (run.error or "")


def test_a_run_cut_off_by_a_restart_is_marked_failed(tmp_path: Path) -> None:
    settings = agent_settings(tmp_path / "home")
    build_agent(settings, clock=SimulatedClock(CYCLE_TIME))
    # The agent stopped (crash, power cut) while this run was in its child process.
    backtest_runs.create("bt-cut", actor="web:owner", request={}, at=CYCLE_TIME)
    close_database()
    restarted = build_agent(settings, clock=SimulatedClock(CYCLE_TIME))
    try:
        run = asyncio.run(restarted.engine.backtest_run("bt-cut"))
        assert run.status == "failed"
        assert "interrupted" in (run.error or "")
    finally:
        close_database()
