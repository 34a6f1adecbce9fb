"""The replay: each session of history through the live session lifecycle, on a
temporary database so a live one is never touched.

For session d (the driver only moves the clock; the lifecycle decides what runs):
1. at the open, the paper exchange works resting orders against bar d — market orders
   at the open, protective stops against the low (a gap through a stop fills at the
   open) — then the usual open step (track, daily loss, trailing);
2. at the close, the models are retrained if due (on data up to d, labels known by d),
   the decision step runs on bars up to d (decide on a close, fill at the next open, as
   backtesting.py does), signals that would ask a person are answered by
   `approve_policy`, and the close step marks equity to the close.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from datetime import UTC, date
from pathlib import Path

import pandas as pd

from core.agent import approval
from core.agent.decision_window import DecisionWindow
from core.agent.pipeline import CycleAction
from core.agent.predictor import Predictor
from core.agent.services import ModelHolder, RuntimeHolder, Services
from core.agent.session import JobTrace, SessionLifecycle
from core.base.calendar import ExchangeCalendar, get_calendar
from core.base.clock import SimulatedClock
from core.base.events import EventBus
from core.base.settings import RuntimeSettings, Settings
from core.data.replay import ReplayMarket
from core.drivers.backtest.config import BacktestConfig, BacktestResult, Progress
from core.drivers.backtest.report import collect
from core.drivers.backtest.walk_forward import WalkForwardPredictor, walk_forward_predictor
from execution.desk import open_desk
from execution.paper import PaperBroker
from storage.database import close_database, open_database
from storage.memory_store import MemoryStore
from storage.port import Store


def replay_services(
    settings: Settings,
    history: Mapping[str, pd.DataFrame],
    clock: SimulatedClock,
    calendar: ExchangeCalendar,
    runtime: RuntimeSettings,
    store: Store,
) -> Services:
    """The agent's parts for a replay: the history as market data, a paper exchange
    that works orders against each session's bar, the same order desk as live."""
    market = ReplayMarket(history, clock=clock, calendar=calendar, name="replay")
    broker = PaperBroker.from_settings(
        settings.trading.broker,
        starting_cash=settings.trading.initial_capital,
        market=market,
        clock=clock,
        calendar=calendar,
        books=store.paper,
        session_bars=market,
    )
    bus = EventBus(history=50)
    return Services(
        settings=settings,
        clock=clock,
        calendar=calendar,
        data=market,
        broker=broker,
        store=store,
        desk=open_desk(broker, store=store, clock=clock, publish=bus.publish),
        bus=bus,
        runtime=RuntimeHolder(runtime),
        models=ModelHolder(),
        # Replay decides at the close and fills at the next open.
        market_is_open=lambda: True,
        window=DecisionWindow(clock),
        mode_label="backtest",
    )


def run_backtest(
    settings: Settings,
    history: Mapping[str, pd.DataFrame],
    config: BacktestConfig,
    *,
    predictor: Predictor | None = None,
    progress: Progress | None = None,
    workdir: Path | None = None,
    trace: JobTrace | None = None,
    store: Store | None = None,
    keep: Path | None = None,
) -> BacktestResult:
    """Replay `history` (daily bars per symbol) from `config.start` to `config.end`.

    In memory by default (no SQL per step; the same rules as SQLite, checked by a parity
    test); pass `SqliteStore()` to replay through the database like the live agent.
    `keep`: a SQLite file that keeps the run's journal, book and equity afterwards."""
    store = store or MemoryStore(keep_predictions=False)
    in_memory = isinstance(store, MemoryStore)
    calendar = get_calendar()
    sessions = calendar.sessions(config.start, config.end)
    if not sessions:
        raise ValueError(f"no exchange sessions between {config.start} and {config.end}")
    runtime = config.runtime or settings.trading.runtime
    runtime = RuntimeSettings.model_validate({**runtime.model_dump(), "symbols": list(history)})
    with tempfile.TemporaryDirectory(dir=workdir) as folder:
        opened = not in_memory
        if opened:
            open_database(keep or Path(folder) / "backtest.db")
        walk: WalkForwardPredictor | None = None
        try:
            clock = SimulatedClock(calendar.session_open(sessions[0]))
            services = replay_services(settings, history, clock, calendar, runtime, store)
            if predictor is None:
                walk = walk_forward_predictor(settings, history, config, sessions, runtime.min_edge)
                predictor = walk
            session = SessionLifecycle(services, predictor, trace)
            session.start()
            _replay(session, clock, sessions, config, walk, progress)
            result = collect(store, history, sessions, settings, clock.now())
            if in_memory and keep is not None:
                open_database(keep)  # the run, written in bulk, to look at like a live one
                opened = True
                assert isinstance(store, MemoryStore)
                store.write_to()
        finally:
            if walk is not None:
                walk.close()
            if opened:
                close_database()
    result.retrainings = walk.retrainings if walk else 0
    result.sessions = len(sessions)
    return result


def _replay(
    session: SessionLifecycle,
    clock: SimulatedClock,
    sessions: list[date],
    config: BacktestConfig,
    walk: WalkForwardPredictor | None,
    progress: Progress | None,
) -> None:
    services = session.services
    calendar = services.calendar
    decide = approval.approve if config.approve_policy == "approve" else approval.reject
    for number, day in enumerate(sessions):
        clock.set(calendar.session_open(day))
        session.before_open()
        session.at_open()
        clock.set(calendar.session_close(day))
        if walk is not None and number % config.retrain_every == 0:
            until = sessions[min(number + config.retrain_every, len(sessions) - 1)]
            walk.retrain(
                pd.Timestamp(day, tz=UTC), pd.Timestamp(until, tz=UTC) + pd.Timedelta(days=1)
            )
        report = session.at_decision()
        for outcome in report.outcomes:
            if outcome.action is CycleAction.ASK and outcome.signal_id:
                decide(services, outcome.signal_id, f"backtest:{config.approve_policy}")
        session.at_close()
        if progress:
            progress(number + 1, len(sessions), day)
