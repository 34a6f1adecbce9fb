"""`stockbot demo`: the whole agent on a simulated market, replayed fast, paper broker,
fresh database under `$STOCKBOT_HOME/demo`. No accounts, no network.

This module composes it — demo settings, the quick model, the agent, the console — and
hands the clock to `core.drivers.demo`, which runs the same session lifecycle as the
live scheduler, one simulated session every `seconds_per_session` (default 5).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from core.agent.agent import Agent
from core.app.cli.progress import Progress
from core.app.composition import build_agent
from core.app.console import describe
from core.base.calendar import get_calendar
from core.base.clock import SimulatedClock
from core.base.events import Event
from core.base.settings import Settings
from core.data.simulated import SimulatedMarket
from core.drivers.demo import DemoDriver, replay_sessions
from ml.labels import PlanRules
from ml.registry import save_run, set_current
from ml.targets import PlanTarget
from ml.training import WalkForwardConfig, train_run

log = logging.getLogger(__name__)

DEMO_SYMBOLS = ("PLTR", "SPY", "AAPL", "MSFT", "NVDA", "KO", "XOM", "JPM")
# Real daily stock histories give no model a proven edge (README "Models, honestly"),
# so the demo's market has stronger structure than the default simulation: its model
# earns a *proven* grade out of sample and hybrid mode shows both paths — trades with
# a large edge execute alone, the rest ask. Demo-only.
DEMO_PREDICTABILITY = 0.8
DEMO_OVERRIDES = {"mode": "hybrid"}
TRAINING_YEARS = 12
"""Enough history for yearly walk-forward folds (the grade needs ≥ 300 selected trades
and most years positive); three years could not grade anything."""
REPLAY_SESSIONS_BACK = 250
CONTEXT_SYMBOL = "SPY"


class Stoppable(Protocol):
    async def stop(self) -> None: ...


@dataclass
class DemoOptions:
    seconds_per_session: float = 5.0
    decision_seconds: float = 60.0
    """Real seconds the clock waits while a signal waits for a person who can answer."""
    symbols: Sequence[str] = DEMO_SYMBOLS
    lstm: bool = False
    sessions: int | None = None
    """Stop after this many sessions (None: run until interrupted)."""


def demo_settings(settings: Settings) -> Settings:
    """The user's settings, pointed at a fresh demo home, the simulated market and the
    paper broker whatever the configuration says."""
    home = settings.home / "demo"
    if home.exists():
        shutil.rmtree(home)
    env = settings.env.model_copy(update={"stockbot_home": home, "stockbot_data_provider": "sim"})
    broker = settings.trading.broker.model_copy(update={"kind": "paper"})
    trading = settings.trading.model_copy(update={"broker": broker})
    return Settings(env=env, trading=trading)


def train_quick_model(
    settings: Settings,
    market: SimulatedMarket,
    symbols: Sequence[str],
    until: date,
    lstm: bool,
    years: float = TRAINING_YEARS,
) -> str:
    end = datetime.combine(until, datetime.min.time(), tzinfo=UTC)
    start = end - timedelta(days=int(365.25 * years))
    bars = market.get_bars(symbols, start, end)
    models = ["gbm", "momentum", *(["lstm"] if lstm else [])]
    with Progress("training the demo model", unit="step") as bar:

        def progress(stage: str, model: str, status: str) -> None:
            bar.update(bar.done + 1, f"{model}: {status}")

        context = bars.get(CONTEXT_SYMBOL)
        if context is None:
            context = market.get_bars([CONTEXT_SYMBOL], start, end)[CONTEXT_SYMBOL]
        result = train_run(
            bars,
            models,
            lookback=settings.trading.ml.lookback,
            target=PlanTarget(PlanRules.from_config(settings.trading)),
            context=context,
            # Yearly folds: the out-of-sample record the grade is computed from.
            evaluation=WalkForwardConfig(),
            on_progress=progress,
        )
    save_run(settings.models_dir, result.run_id, result.ensemble, result.manifest)
    set_current(settings.models_dir, result.run_id)
    return result.run_id


async def run_demo(
    settings: Settings,
    options: DemoOptions,
    printer: Callable[[str], None] = print,
    on_ready: Callable[[Agent], Stoppable | None] | None = None,
) -> Agent:
    """Train, build, then replay. `on_ready` starts front ends (Telegram, the web page)
    on the agent and returns something to `stop()` when the demo ends."""
    settings = demo_settings(settings)
    calendar = get_calendar()
    today = datetime.now(UTC).date()
    sessions = calendar.sessions(today - timedelta(days=int(REPLAY_SESSIONS_BACK * 1.6)), today)
    days = sessions[-REPLAY_SESSIONS_BACK:]
    clock = SimulatedClock(calendar.session_open(days[0]))
    market = SimulatedMarket(clock=clock, predictability=DEMO_PREDICTABILITY)
    printer(f"stockbot demo: simulated market, paper broker, home {settings.home}")
    run_id = await asyncio.to_thread(
        train_quick_model,
        settings,
        market,
        options.symbols,
        days[0] - timedelta(days=1),
        options.lstm,
    )
    agent = await asyncio.to_thread(build_agent, settings, clock=clock, data=market)
    engine = agent.engine
    await engine.update_settings(
        {**DEMO_OVERRIDES, "symbols": ",".join(options.symbols)}, actor="system"
    )
    report = await asyncio.to_thread(agent.session.start)
    printer(f"model {run_id} ready; reconciled with the paper broker: {report.ok}")
    printer(
        f"replaying {len(days)} sessions from {days[0]}, "
        f"{options.seconds_per_session:g} s each; Ctrl-C stops"
    )

    def show(event: Event) -> None:
        line = describe(event)
        if line:
            printer(f"{clock.now():%Y-%m-%d %H:%M} {line}")

    agent.services.bus.add_listener(show)
    telegram = on_ready(agent) if on_ready else None
    driver = DemoDriver(agent, clock)
    try:
        await replay_sessions(
            driver,
            days,
            seconds_per_session=options.seconds_per_session,
            decision_seconds=options.decision_seconds,
            sessions=options.sessions,
        )
    finally:
        if telegram is not None:
            await telegram.stop()
    return agent
