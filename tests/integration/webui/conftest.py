"""A running agent (simulated market, paper broker, real SQLite) behind the real web
pages, driven by NiceGUI's simulated `User` (no browser)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from nicegui.testing import User
from nicegui.testing.user_simulation import user_simulation

from core.agent.agent import Agent
from core.base.clock import SimulatedClock
from storage.database import close_database
from tests.integration.conftest import ScriptedPredictor, start_agent
from tests.integration.webui import slot
from webui.security import WebCredentials
from webui.state import WebState

PASSWORD = "correct horse battery"
VIEWER_PASSWORD = "look but do not touch"


async def eventually(check: Callable[[], Awaitable[bool] | bool], seconds: float = 5.0) -> None:
    """Page handlers run as tasks after a click: wait until `check` holds (or fail)."""
    for _ in range(int(seconds / 0.05)):
        outcome = check()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"still false after {seconds} s: {check}")


MAIN_FILE = Path(__file__).with_name("nicegui_main.py")


@dataclass
class Web:
    user: User
    agent: Agent
    predictor: ScriptedPredictor
    state: WebState

    async def log_in(self, redirect_to: str | None = None, password: str = PASSWORD) -> None:
        query = f"?redirect_to={redirect_to}" if redirect_to is not None else ""
        await self.user.open(f"/login{query}")
        self.user.find(marker="password").type(password)
        self.user.find(marker="login").click()
        await self.user.should_not_see(marker="password", retries=50)


@pytest.fixture
async def web(tmp_path: Path, clock: SimulatedClock) -> AsyncIterator[Web]:
    agent, predictor = start_agent(tmp_path / "home", clock)
    credentials = WebCredentials(PASSWORD, "test storage secret", None, VIEWER_PASSWORD)
    state = WebState(credentials, agent.engine)
    slot.state = state
    try:
        async with user_simulation(main_file=MAIN_FILE) as user:
            await state.refresh()
            yield Web(user, agent, predictor, state)
            await agent.engine.shutdown()
    finally:
        slot.state = None
        close_database()
