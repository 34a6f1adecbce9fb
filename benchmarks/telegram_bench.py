"""Latency from an Approve press reaching the bot (the fake Bot API hands it over in
getUpdates) to the order reaching the broker (the paper exchange has it), through
python-telegram-bot, the Engine, the re-checks and the order journal. Goal p50 ≤ 50 ms.

Measured twice: with the owner's chat quiet, and with its outbox backed up (30 messages
that cannot be merged waiting, about 30 s of Telegram's one-a-second pace): pacing
holds messages back, never the press. Each press waits for its signal's announcement
(chart drawing competes for the CPU), then carries the data of its Approve button.
Run: .venv/bin/python -m benchmarks.telegram_bench
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from pydantic import SecretStr
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.app import TelegramFrontEnd
from core.base.clock import SimulatedClock
from core.base.events import OrderSubmitted
from storage.database import close_database
from tests.fakes.telegram_server import FakeTelegramServer, running_fake_telegram
from tests.integration.conftest import CYCLE_TIME, start_agent

PRESSES = 30
OWNER = 42
BACKLOG = 30
FILLER = InlineKeyboardMarkup([[InlineKeyboardButton("·", callback_data="x")]])


async def _wait(probe, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while (found := probe()) is None and time.monotonic() < deadline:
        await asyncio.sleep(0.001)
    return found


async def _presses(
    telegram: FakeTelegramServer, folder: Path, *, backlog: int
) -> tuple[list[float], list[int]]:
    """Press → order latencies (ms), and how many messages were waiting at each press."""
    symbols = tuple(f"T{i:02d}" for i in range(3 * PRESSES))
    # Limits opened up so that every press is an order (30 positions in one session).
    agent, predictor = start_agent(
        folder / "home",
        SimulatedClock(CYCLE_TIME),
        mode="manual",
        symbols=symbols,
        max_open_positions=100,
        max_portfolio_risk=1.0,
        max_orders_per_day=1000,
        risk_per_trade=0.005,
        max_position_pct=0.2,
    )
    env = agent.services.settings.env.model_copy(
        update={
            "telegram_bot_token": SecretStr(telegram.token),
            "telegram_allowed_users": (OWNER,),
            "telegram_base_url": telegram.url,
        }
    )
    front_end = TelegramFrontEnd(
        agent.services.settings.model_copy(update={"env": env}), agent.engine
    )
    await front_end.start_in_background()
    submitted: dict[str, float] = {}
    agent.services.bus.add_listener(
        lambda e: (
            submitted.setdefault(e.symbol, time.perf_counter())
            if isinstance(e, OrderSubmitted)
            else None
        )
    )
    latencies: list[float] = []
    waiting: list[int] = []
    try:
        for symbol in symbols:
            if len(latencies) == PRESSES:
                break
            predictor.probabilities = {symbol: 0.75}
            report = await agent.engine.run_cycle()
            if report.outcomes[0].action != "ask":
                continue  # sizing refused this price; the next symbol will do
            photo = await _wait(
                lambda s=symbol: next(
                    (c for c in telegram.calls_to("sendPhoto") if s in c.params["caption"]),
                    None,
                )
            )
            approve = photo.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            for n in range(backlog - front_end.outbox.pending()):
                front_end.outbox.send(OWNER, f"unrelated message {n}", markup=FILLER)
            waiting.append(front_end.outbox.pending())
            update_id = telegram.press_button(OWNER, approve, message_id=1, photo=True)
            if await _wait(lambda s=symbol: submitted.get(s)) is None:
                print(f"{symbol}: approval did not send an order")
                continue
            latencies.append((submitted[symbol] - telegram.delivered[update_id]) * 1000)
    finally:
        await front_end.stop()
        close_database()
    return latencies, waiting


def _report(label: str, latencies: list[float], waiting: list[int]) -> None:
    p50 = statistics.median(latencies)
    print(f"{label}")
    print(f"  presses                          {len(latencies)}")
    print(f"  messages waiting at the press    {statistics.median(waiting):.0f} (median)")
    print(
        f"  press at the bot → order, p50    {p50:6.1f} ms  "
        f"(goal ≤ 50 ms: {'met' if p50 <= 50 else 'MISSED'})"
    )
    print(f"  press at the bot → order, p95    {np.percentile(latencies, 95):6.1f} ms")


async def main() -> None:
    for label, backlog in (("quiet chat", 0), (f"chat with {BACKLOG} messages waiting", BACKLOG)):
        with running_fake_telegram() as telegram, tempfile.TemporaryDirectory() as folder:
            latencies, waiting = await _presses(telegram, Path(folder), backlog=backlog)
        _report(label, latencies, waiting)


if __name__ == "__main__":
    asyncio.run(main())
