"""The composition root: builds every part from settings in one place (DESIGN §2).

`build_agent` wires clock, calendar, data (cached), broker, the order desk, event bus,
runtime settings (config.yaml + stored overrides), the current model, the session
lifecycle and the backtest runner into an `Agent`. `stockbot run`, `stockbot cycle`
and `stockbot demo` differ only in what they pass in here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, time
from pathlib import Path

from core.agent.agent import Agent
from core.agent.backtest_requests import BacktestService
from core.agent.decision_window import DecisionWindow
from core.agent.engine import Engine
from core.agent.predictor import LivePredictor
from core.agent.services import ModelHolder, RuntimeHolder, Services
from core.agent.session import SessionLifecycle
from core.base.calendar import ExchangeCalendar, get_calendar
from core.base.clock import Clock, LiveClock
from core.base.events import EventBus
from core.base.logs import configure_logging
from core.base.settings import Settings, SettingsError, apply_overrides
from core.data.cache import CachedProvider
from core.data.provider import MarketDataProvider
from core.data.selection import build_provider, check_provider_with_broker
from core.drivers.backtest_jobs import BacktestJobs
from execution.alpaca_broker import AlpacaBroker
from execution.broker import Broker, BrokerError
from execution.desk import open_desk
from execution.paper import PaperBroker
from ml.registry import RegistryError, load_run
from storage.database import open_database
from storage.overrides import load_overrides
from storage.port import Store
from storage.sqlite_store import SqliteStore

log = logging.getLogger(__name__)

WEB_VIEWER = "web:viewer"
"""The actor of a browser logged in with WEBUI_VIEWER_PASSWORD: it may only read."""

# Providers worth caching: the others already read local data.
NETWORK_PROVIDERS = ("alpaca", "yahoo")


def setup_logging(settings: Settings, *, console: bool = True) -> None:
    configure_logging(
        logs_dir=settings.logs_dir,
        level=settings.env.stockbot_log_level,
        fmt=settings.env.stockbot_log_format,
        secrets=settings.env.secret_values(),
        console=console,
    )


def effective_runtime(settings: Settings) -> RuntimeHolder:
    """config.yaml's runtime block with the stored overrides on top (database open)."""
    return RuntimeHolder(apply_overrides(settings.trading.runtime, load_overrides()))


def build_broker(
    settings: Settings,
    *,
    store: Store,
    clock: Clock,
    calendar: ExchangeCalendar,
    market: MarketDataProvider,
) -> Broker:
    broker = settings.trading.broker
    if broker.kind == "paper":
        return PaperBroker.from_settings(
            broker,
            starting_cash=settings.trading.initial_capital,
            market=market,
            clock=clock,
            calendar=calendar,
            books=store.paper,
        )
    credentials = settings.env.alpaca_credentials()
    if credentials is None:
        raise SettingsError("broker.kind alpaca needs ALPACA_API_KEY and ALPACA_SECRET_KEY")
    return AlpacaBroker(
        *credentials,
        paper=settings.env.alpaca_paper,
        allow_live=broker.allow_live,
        base_url=settings.env.alpaca_base_url,
        timeout=broker.request_timeout_seconds,
    )


def market_open_check(
    broker: Broker, calendar: ExchangeCalendar, clock: Clock
) -> Callable[[], bool]:
    """Ask the broker's clock (Alpaca's knows early closes and halts; the paper
    exchange's is the calendar); the calendar when the broker cannot answer."""

    def is_open() -> bool:
        try:
            return broker.get_clock().is_open
        except BrokerError:
            log.warning("broker clock unavailable; using the exchange calendar")
            return calendar.is_open(clock.now())

    return is_open


def load_current_model(models_dir: Path, holder: ModelHolder) -> None:
    try:
        ensemble, run = load_run(models_dir)
    except RegistryError as error:
        log.warning("no model loaded", extra={"why": str(error)})
        holder.mark_empty()
        return
    holder.swap(ensemble, run.run_id, run.manifest)
    log.info("model loaded", extra={"run_id": run.run_id})


def build_agent(
    settings: Settings,
    *,
    clock: Clock,
    database: Path | None = None,
    data: MarketDataProvider | None = None,
    models_dir: Path | None = None,
    calendar: ExchangeCalendar | None = None,
    load_model_in_background: bool = False,
    backtests: BacktestService | None = None,
) -> Agent:
    """Everything an agent needs; the database is opened (and migrated) here. With
    `load_model_in_background` the model loads while the agent starts serving."""
    calendar = calendar or get_calendar()
    open_database(database or settings.database_path)
    raw = data or build_provider(
        settings.env,
        broker_kind=settings.trading.broker.kind,
        clock=clock,
        timeout=settings.trading.broker.request_timeout_seconds,
    )
    check_provider_with_broker(raw.name, settings.trading.broker.kind)
    market: MarketDataProvider = raw
    if raw.name in NETWORK_PROVIDERS:
        market = CachedProvider(
            raw,
            completed_through=lambda: datetime.combine(
                calendar.last_completed_session(clock.now()), time(), tzinfo=UTC
            ),
        )
    bus = EventBus()
    store = SqliteStore()
    broker = build_broker(settings, store=store, clock=clock, calendar=calendar, market=market)
    desk = open_desk(broker, store=store, clock=clock, publish=bus.publish)
    models = ModelHolder()
    folder = models_dir or settings.models_dir
    if load_model_in_background:
        models.load_in_background(lambda holder: load_current_model(folder, holder))
    else:
        load_current_model(folder, models)
    services = Services(
        settings=settings,
        clock=clock,
        calendar=calendar,
        data=market,
        broker=broker,
        store=store,
        desk=desk,
        bus=bus,
        runtime=effective_runtime(settings),
        models=models,
        market_is_open=market_open_check(broker, calendar, clock),
        window=DecisionWindow(clock),
        mode_label="live"
        if (settings.trading.broker.kind == "alpaca" and not settings.env.alpaca_paper)
        else "paper",
    )
    ml = settings.trading.ml
    predictor = LivePredictor(
        data=market, calendar=calendar, models=models, lookback=ml.lookback, horizon=ml.horizon
    )
    session = SessionLifecycle(services, predictor)
    # Backtests run on real dates (a demo's simulated clock is not "today").
    backtests = backtests or BacktestJobs(settings, LiveClock())
    backtests.fail_interrupted()
    viewers = frozenset(
        {f"telegram:{user}" for user in settings.env.telegram_viewers} | {WEB_VIEWER}
    )
    engine = Engine(services, session, backtests, viewers=viewers)
    return Agent(engine=engine, services=services, session=session)
