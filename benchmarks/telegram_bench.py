"""Latency from an Approve press reaching the bot (the fake Bot API hands it over in
getUpdates) to the order reaching the broker (the paper exchange has it), through
python-telegram-bot, the Engine, the re-checks and the order journal. Goal p50 ≤ 25 ms.

Measured twice: with the owner's chat quiet, and with its outbox backed up (30 messages
that cannot be merged waiting, about 30 s of Telegram's one-a-second pace): pacing
holds messages back, never the press. Each press waits for its signal's announcement
(chart drawing competes for the CPU), then carries the data of its Approve button.

Where the time goes, per press (medians): the update from getUpdates' answer to the
bot's handler (python-telegram-bot parsing and dispatch), the hop into the Engine's
worker thread, the approval rule up to the broker call (signal, journal, re-check), and
the broker's submit. With `--profile`, cProfile of the approval in its worker thread
(top functions by cumulative time), the SQL statements and quotes one approval costs.

Run: .venv/bin/python -m benchmarks.telegram_bench [--presses 60] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import io
import logging
import multiprocessing
import pstats
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.managers import BaseManager
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import SecretStr
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.app import TelegramFrontEnd
from core.agent import approval
from core.agent.agent import Agent
from core.app.composition import build_agent
from core.base.clock import SimulatedClock
from core.base.events import OrderSubmitted
from storage.database import close_database
from tests.fakes.telegram_server import FakeTelegramServer
from tests.integration.conftest import (
    CYCLE_TIME,
    PROVEN_MANIFEST,
    ScriptedPredictor,
    ShockableMarket,
    agent_settings,
)

OWNER = 42
BACKLOG = 30
FILLER = InlineKeyboardMarkup([[InlineKeyboardButton("·", callback_data="x")]])
GOAL_MS = 25.0


@dataclass
class Marks:
    """perf_counter() stamps of one press, keyed by symbol."""

    handler: dict[str, float] = field(default_factory=dict)
    approve: dict[str, float] = field(default_factory=dict)
    submit: dict[str, float] = field(default_factory=dict)
    submitted: dict[str, float] = field(default_factory=dict)


@dataclass
class ApprovalCost:
    """What approvals cost inside the worker thread (with --profile)."""

    profile: cProfile.Profile = field(default_factory=cProfile.Profile)
    sql: Counter[str] = field(default_factory=Counter)
    quotes: int = 0
    approvals: int = 0


class _InApproval(threading.local):
    active = False


_IN_APPROVAL = _InApproval()


class _SqlCounter(logging.Handler):
    """peewee logs each statement at DEBUG: count those run inside an approval."""

    def __init__(self, cost: ApprovalCost) -> None:
        super().__init__(logging.DEBUG)
        self.cost = cost

    def emit(self, record: logging.LogRecord) -> None:
        if _IN_APPROVAL.active:
            sql = record.msg[0] if isinstance(record.msg, tuple) else str(record.msg)
            self.cost.sql[" ".join(str(sql).split()[:4])] += 1


def _agent(folder: Path, symbols: tuple[str, ...]) -> tuple[Agent, ScriptedPredictor]:
    """A paper account large enough that every press is an order."""
    settings = agent_settings(
        folder / "home",
        mode="manual",
        symbols=symbols,
        max_open_positions=100,
        max_portfolio_risk=1.0,
        max_orders_per_day=1000,
        risk_per_trade=0.0005,
        max_position_pct=0.005,  # $5,000 of $1M: 200 positions fit the cash
        max_order_notional=100_000.0,
    )
    trading = settings.trading.model_copy(update={"initial_capital": 1_000_000.0})
    clock = SimulatedClock(CYCLE_TIME)
    market = ShockableMarket(clock=clock)
    agent = build_agent(settings.model_copy(update={"trading": trading}), clock=clock, data=market)
    predictor = ScriptedPredictor(market)
    agent.engine.predictor = predictor
    agent.services.models.manifest = dict(PROVEN_MANIFEST)
    assert agent.session.start().ok
    return agent, predictor


def _instrument(agent: Agent, marks: Marks, cost: ApprovalCost | None) -> Callable[[], None]:
    """Stamp each stage of a press; returns the undo."""
    original_approve = approval.approve
    broker = agent.services.broker
    original_submit = broker.submit_order
    data = agent.services.data
    original_quotes = data.latest_prices

    def approve(services: Any, signal_id: str, *args: Any, **kwargs: Any) -> Any:
        marks.approve[signal_id.split("-")[0]] = time.perf_counter()
        if cost is None:
            return original_approve(services, signal_id, *args, **kwargs)
        _IN_APPROVAL.active = True
        cost.approvals += 1
        cost.profile.enable()
        try:
            return original_approve(services, signal_id, *args, **kwargs)
        finally:
            cost.profile.disable()
            _IN_APPROVAL.active = False

    def submit(request: Any) -> Any:
        # The entry is the first order of a symbol (its protective stop comes after).
        marks.submit.setdefault(request.symbol, time.perf_counter())
        return original_submit(request)

    def quotes(symbols: Any) -> Any:
        if cost is not None and _IN_APPROVAL.active:
            cost.quotes += 1
        return original_quotes(symbols)

    approval.approve = approve
    broker.submit_order = submit  # type: ignore[method-assign]
    data.latest_prices = quotes  # type: ignore[method-assign]
    handler_undo = _stamp_handler(marks)

    def undo() -> None:
        approval.approve = original_approve
        handler_undo()

    return undo


def _stamp_handler(marks: Marks) -> Callable[[], None]:
    """When the bot's handler starts deciding (absent in older bots: no stamp)."""
    try:
        from bot import decisions
    except ImportError:
        return lambda: None
    original = decisions.decide

    async def decide(ctx: Any, signal_id: str, *args: Any, **kwargs: Any) -> None:
        marks.handler[signal_id.split("-")[0]] = time.perf_counter()
        await original(ctx, signal_id, *args, **kwargs)

    decisions.decide = decide

    def undo() -> None:
        decisions.decide = original

    return undo


class RemoteTelegram(FakeTelegramServer):
    """The fake Bot API in a process of its own, so that its HTTP handling does not take
    the bot's GIL: Telegram's servers are elsewhere too. What the benchmark asks of it
    returns plain values (the proxy pickles them)."""

    def begin(self) -> tuple[str, str]:
        self.start()
        return self.token, self.url

    def delivered_at(self, update_id: int) -> float | None:
        return self.delivered.get(update_id)  # perf_counter: one monotonic clock per host

    def approve_data(self, symbol: str) -> str | None:
        """The Approve button's data of the signal photo for `symbol`, once sent."""
        for call in self.calls_to("sendPhoto"):
            if symbol in call.params["caption"]:
                return str(call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
        return None


class _Host(BaseManager):
    """Serves the fake Bot API from a process of its own."""


_Host.register("RemoteTelegram", RemoteTelegram)


@contextmanager
def telegram_elsewhere() -> Iterator[Any]:
    """A proxy to a `RemoteTelegram` running in a spawned process."""
    host = _Host(ctx=multiprocessing.get_context("spawn"))
    host.start()
    try:
        telegram = host.RemoteTelegram()  # type: ignore[attr-defined]
        try:
            yield telegram
        finally:
            telegram.stop()
    finally:
        host.shutdown()


async def _wait(probe: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while (found := probe()) is None and time.monotonic() < deadline:
        await asyncio.sleep(0.001)
    return found


async def _presses(
    telegram: Any,
    folder: Path,
    *,
    presses: int,
    backlog: int,
    cost: ApprovalCost | None,
) -> tuple[list[float], list[int], Marks, dict[str, float]]:
    """Press → order latencies (ms), messages waiting at each press, the stamps, and
    when each press reached the bot."""
    symbols = tuple(f"T{i:03d}" for i in range(2 * presses))
    agent, predictor = _agent(folder, symbols)
    token, url = telegram.begin()
    env = agent.services.settings.env.model_copy(
        update={
            "telegram_bot_token": SecretStr(token),
            "telegram_allowed_users": (OWNER,),
            "telegram_base_url": url,
        }
    )
    front_end = TelegramFrontEnd(
        agent.services.settings.model_copy(update={"env": env}), agent.engine
    )
    await front_end.start_in_background()
    marks = Marks()
    loop = asyncio.get_running_loop()
    submitted = asyncio.Event()

    def on_event(event: object) -> None:
        if isinstance(event, OrderSubmitted) and event.symbol not in marks.submitted:
            marks.submitted[event.symbol] = time.perf_counter()
            loop.call_soon_threadsafe(submitted.set)

    agent.services.bus.add_listener(on_event)
    undo = _instrument(agent, marks, cost)
    latencies: list[float] = []
    waiting: list[int] = []
    reached: dict[str, float] = {}
    try:
        for symbol in symbols:
            if len(latencies) == presses:
                break
            predictor.probabilities = {symbol: 0.75}
            report = await agent.engine.run_cycle()
            if report.outcomes[0].action != "ask":
                continue  # sizing refused this price; the next symbol will do
            approve = await _wait(functools.partial(telegram.approve_data, symbol))
            for n in range(backlog - front_end.outbox.pending()):
                front_end.outbox.send(OWNER, f"unrelated message {n}", markup=FILLER)
            waiting.append(front_end.outbox.pending())
            submitted.clear()
            update_id = telegram.press_button(OWNER, approve, message_id=1, photo=True)
            # Woken by the order's event, not by polling: a loop waking every millisecond
            # takes the GIL from the approval it is timing.
            try:
                await asyncio.wait_for(submitted.wait(), 10.0)
            except TimeoutError:
                print(f"{symbol}: approval did not send an order")
                continue
            reached[symbol] = telegram.delivered_at(update_id)
            latencies.append((marks.submitted[symbol] - reached[symbol]) * 1000)
    finally:
        undo()
        await front_end.stop()
        close_database()
    return latencies, waiting, marks, reached


STAGES = (
    ("to_handler_ms", "getUpdates answer → handler", "reached", "handler"),
    ("handler_to_approval_ms", "handler → approval in thread", "handler", "approve"),
    ("to_approval_ms", "getUpdates answer → approval", "reached", "approve"),
    ("approval_to_submit_ms", "approval → broker submit", "approve", "submit"),
    ("submit_ms", "broker submit → submitted", "submit", "submitted"),
)
"""(key, label, from stamp, to stamp) of each stage of a press; "reached" is when
getUpdates handed the press to the bot."""


def stage_medians(marks: Marks, reached: dict[str, float]) -> dict[str, float | None]:
    """Each stage's median (ms) over the presses stamped at both ends (None: none were,
    as with a bot without the handler's stamp)."""
    stamps = {
        "reached": reached,
        "handler": marks.handler,
        "approve": marks.approve,
        "submit": marks.submit,
        "submitted": marks.submitted,
    }
    medians: dict[str, float | None] = {}
    for key, _, start, end in STAGES:
        spans = [
            (stamps[end][s] - stamps[start][s]) * 1000
            for s in reached
            if s in stamps[start] and s in stamps[end]
        ]
        medians[key] = statistics.median(spans) if spans else None
    return medians


def _report(
    label: str, latencies: list[float], waiting: list[int], marks: Marks, reached: dict[str, float]
) -> None:
    p50 = statistics.median(latencies)
    print(label)
    print(f"  presses                          {len(latencies)}")
    print(f"  messages waiting at the press    {statistics.median(waiting):.0f} (median)")
    verdict = "met" if p50 <= GOAL_MS else "MISSED"
    print(f"  press at the bot → order, p50    {p50:6.1f} ms  (goal ≤ {GOAL_MS:g} ms: {verdict})")
    print(f"  press at the bot → order, p90    {np.percentile(latencies, 90):6.1f} ms")
    print("  where it goes (medians, ms):")
    medians = stage_medians(marks, reached)
    for key, stage, _, _ in STAGES:
        value = medians[key]
        print(f"    {stage:<31}" + ("     —" if value is None else f"{value:6.1f}"))


def _profile_report(cost: ApprovalCost) -> None:
    print(f"approval in its worker thread, {cost.approvals} approvals (cProfile)")
    n = max(cost.approvals, 1)
    print(f"  SQL statements per approval      {sum(cost.sql.values()) / n:.1f}")
    for statement, count in cost.sql.most_common():
        print(f"    {count / n:4.1f}  {statement}")
    print(f"  latest_prices calls per approval {cost.quotes / n:.1f}")
    out = io.StringIO()
    stats = pstats.Stats(cost.profile, stream=out)
    stats.sort_stats("cumulative").print_stats(r"(core|execution|storage|risk)/", 25)
    print(out.getvalue())


def run(presses: int = 40) -> dict[str, float]:
    """The quiet-chat measurement for other scripts: press → order p50/p90 (ms) and its
    stages' medians."""

    async def measure() -> dict[str, float]:
        with telegram_elsewhere() as telegram, tempfile.TemporaryDirectory() as folder:
            latencies, _, marks, reached = await _presses(
                telegram, Path(folder), presses=presses, backlog=0, cost=None
            )
        stages = stage_medians(marks, reached)
        return {
            "presses": len(latencies),
            "p50_ms": statistics.median(latencies),
            "p90_ms": float(np.percentile(latencies, 90)),
            **{key: value for key, value in stages.items() if value is not None},
        }

    return asyncio.run(measure())


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=60)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--quiet-only", action="store_true")
    args = parser.parse_args()
    cost = ApprovalCost() if args.profile else None
    if cost is not None:
        peewee = logging.getLogger("peewee")
        peewee.setLevel(logging.DEBUG)
        peewee.addHandler(_SqlCounter(cost))
        peewee.propagate = False
    scenarios = [("quiet chat", 0)]
    if not args.quiet_only:
        scenarios.append((f"chat with {BACKLOG} messages waiting", BACKLOG))
    for label, backlog in scenarios:
        with telegram_elsewhere() as telegram, tempfile.TemporaryDirectory() as folder:
            latencies, waiting, marks, reached = await _presses(
                telegram, Path(folder), presses=args.presses, backlog=backlog, cost=cost
            )
        _report(label, latencies, waiting, marks, reached)
    if cost is not None:
        _profile_report(cost)


if __name__ == "__main__":
    asyncio.run(main())
