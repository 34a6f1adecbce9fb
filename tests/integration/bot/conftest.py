"""The Telegram front end against the fake Bot API server, with the agent on the
simulated market and the paper broker: fixtures and helpers shared by the tests.

Waiting is event-driven: `until` re-checks its condition whenever the bot calls the
fake Bot API or the agent publishes an event (the `running` fixture pokes the fake on
every event), with a slow safety re-check for state nothing announces (audit rows the
bot writes in the background)."""

from __future__ import annotations

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
from tests.fakes.telegram_server import FakeTelegramServer, Shown, running_fake_telegram
from tests.integration.conftest import ScriptedPredictor, start_agent

OWNER = 42
STRANGER = 666
VIEWER = 777
SAFETY_TICK = 0.25
"""Seconds between re-checks when nothing happens (see the module's docstring)."""
# Waits end as soon as their condition holds; the timeout only bounds a failure, and is
# generous because the machine running the tests may be busy with others.

_FAKE: list[FakeTelegramServer] = []
"""The running fake of the test under way (tests run one at a time)."""


def telegram_settings(
    agent: Agent,
    telegram: FakeTelegramServer,
    users: tuple[int, ...] = (OWNER,),
    viewers: tuple[int, ...] = (),
) -> Settings:
    env = agent.services.settings.env.model_copy(
        update={
            "telegram_bot_token": SecretStr(telegram.token),
            "telegram_allowed_users": users,
            "telegram_viewers": viewers,
            "telegram_base_url": telegram.url,
        }
    )
    return agent.services.settings.model_copy(update={"env": env})


@pytest.fixture
def telegram() -> Iterator[FakeTelegramServer]:
    with running_fake_telegram() as server:
        _FAKE.append(server)
        try:
            yield server
        finally:
            _FAKE.remove(server)


def watch_agent(agent: Agent, telegram: FakeTelegramServer) -> None:
    """Every event the agent publishes wakes the test's waits."""
    agent.services.bus.add_listener(lambda _event: telegram.poke())


@pytest.fixture
def allowed_users() -> tuple[int, ...]:
    """Who may use the bot; a test module overrides it for more than the owner."""
    return (OWNER,)


@pytest.fixture
def viewers() -> tuple[int, ...]:
    """TELEGRAM_VIEWERS; a test module overrides it."""
    return ()


@pytest.fixture
async def running(
    tmp_path: Path,
    clock: SimulatedClock,
    telegram: FakeTelegramServer,
    allowed_users: tuple[int, ...],
    viewers: tuple[int, ...],
):
    agent, predictor = start_agent(tmp_path / "home", clock, mode="manual")
    # The composition root gives the Engine its viewers from the same setting; the
    # agent here was built before the Telegram settings existed.
    agent.engine.viewers = agent.engine.viewers | {f"telegram:{v}" for v in viewers}
    watch_agent(agent, telegram)
    front_end = TelegramFrontEnd(
        telegram_settings(agent, telegram, allowed_users, viewers),
        agent.engine,
        max_backoff=0.2,
    )
    await front_end.start_in_background()
    try:
        yield agent, predictor, front_end
    finally:
        await front_end.stop()
        close_database()


async def until(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    """Wait for `condition()`: woken by the bot's calls and the agent's events."""
    assert _FAKE, "until() needs the telegram fixture"
    await _FAKE[-1].until(condition, timeout, tick=SAFETY_TICK)


async def calls(telegram: FakeTelegramServer, method: str, count: int = 1) -> list:  # type: ignore[type-arg]
    """Wait (without blocking the loop the bot runs on) for `count` calls of `method`."""
    await until(lambda: len(telegram.calls_to(method)) >= count)
    return telegram.calls_to(method)


def buttons(call) -> list[str]:  # type: ignore[no-untyped-def]
    markup = call.params["reply_markup"]
    return [b["callback_data"] for row in markup["inline_keyboard"] for b in row]


def labelled(markup: dict | None) -> dict[str, str]:  # type: ignore[type-arg]
    """Button label → its callback data."""
    rows = (markup or {}).get("inline_keyboard") or []
    return {b["text"]: b["callback_data"] for row in rows for b in row}


def button(call, starts: str) -> str:  # type: ignore[no-untyped-def]
    """The data of the button whose label starts with `starts`."""
    found = [
        d
        for label, d in labelled(call.params.get("reply_markup")).items()
        if label.startswith(starts)
    ]
    assert len(found) == 1, (starts, labelled(call.params.get("reply_markup")))
    return found[0]


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


async def signal_shown(
    agent: Agent, predictor: ScriptedPredictor, telegram, symbol: str = "AAA"
) -> Shown:  # type: ignore[no-untyped-def]
    """The signal's announcement as the owner's chat shows it (with its message id)."""
    photo = await signal_message(agent, predictor, telegram, symbol)
    await until(lambda: isinstance(photo.result, dict))
    return telegram.shown[(OWNER, photo.result["message_id"])]


def press(telegram: FakeTelegramServer, shown: Shown, label: str, user: int = OWNER) -> int:
    """The owner (or `user`) presses the button whose label starts with `label` on the
    message as it shows now."""
    found = [data for text, data in shown.buttons() if text.startswith(label)]
    assert len(found) == 1, (label, shown.buttons())
    return telegram.press_button(
        user, found[0], message_id=shown.message_id, chat_id=shown.chat_id, photo=shown.photo
    )


def replies_to(telegram: FakeTelegramServer, chat_id: int = OWNER) -> list[Shown]:
    """Messages the bot sent to a chat, in order, as they show now."""
    return sorted(
        (m for (chat, _), m in telegram.shown.items() if chat == chat_id),
        key=lambda m: m.message_id,
    )
