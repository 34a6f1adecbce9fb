"""The Telegram front end against the fake Bot API server, with the agent on the
simulated market and the paper broker: fixtures and helpers shared by the tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.app import TelegramFrontEnd
from bot.outbox import MERGE_SEPARATOR
from core.agent.agent import Agent
from core.base.clock import SimulatedClock
from core.base.settings import Settings
from storage.database import close_database
from tests.fakes.telegram_server import FakeTelegramServer, running_fake_telegram
from tests.integration.conftest import ScriptedPredictor, start_agent

OWNER = 42
STRANGER = 666


def telegram_settings(
    agent: Agent, telegram: FakeTelegramServer, users: tuple[int, ...] = (OWNER,)
) -> Settings:
    env = agent.services.settings.env.model_copy(
        update={
            "telegram_bot_token": SecretStr(telegram.token),
            "telegram_allowed_users": users,
            "telegram_base_url": telegram.url,
        }
    )
    return agent.services.settings.model_copy(update={"env": env})


@pytest.fixture
def telegram() -> Iterator[FakeTelegramServer]:
    with running_fake_telegram() as server:
        yield server


@pytest.fixture
def allowed_users() -> tuple[int, ...]:
    """Who may use the bot; a test module overrides it for more than the owner."""
    return (OWNER,)


@pytest.fixture
async def running(
    tmp_path: Path,
    clock: SimulatedClock,
    telegram: FakeTelegramServer,
    allowed_users: tuple[int, ...],
):
    agent, predictor = start_agent(tmp_path / "home", clock, mode="manual")
    front_end = TelegramFrontEnd(
        telegram_settings(agent, telegram, allowed_users), agent.engine, max_backoff=0.2
    )
    await front_end.start_in_background()
    try:
        yield agent, predictor, front_end
    finally:
        await front_end.stop()
        close_database()


async def until(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def calls(telegram: FakeTelegramServer, method: str, count: int = 1) -> list:  # type: ignore[type-arg]
    """Wait (without blocking the loop the bot runs on) for `count` calls of `method`."""
    await until(lambda: len(telegram.calls_to(method)) >= count)
    return telegram.calls_to(method)


def buttons(call) -> list[str]:  # type: ignore[no-untyped-def]
    markup = call.params["reply_markup"]
    return [b["callback_data"] for row in markup["inline_keyboard"] for b in row]


def texts(telegram: FakeTelegramServer) -> list[str]:
    """Every answer sent, one per command: answers waiting together share a message."""
    return [
        answer
        for c in telegram.calls_to("sendMessage")
        for answer in str(c.params.get("text", "")).split(MERGE_SEPARATOR)
    ]


async def signal_message(agent: Agent, predictor: ScriptedPredictor, telegram, symbol="AAA"):  # type: ignore[no-untyped-def]
    predictor.probabilities = {symbol: 0.57}  # edge 0.07: hybrid asks
    before = len(telegram.calls_to("sendPhoto"))
    await agent.engine.run_cycle()
    photos = await calls(telegram, "sendPhoto", before + 1)
    return photos[-1]
