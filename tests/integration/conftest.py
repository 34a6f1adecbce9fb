from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.agent.agent import Agent
from core.agent.predictor import PredictionBatch
from core.app.composition import build_agent
from core.base.clock import SimulatedClock
from core.base.events import Event
from core.base.settings import RuntimeSettings, Settings, TradingConfig, load_env_settings
from core.base.types import ModelPrediction
from core.data.simulated import SimulatedMarket
from storage.database import close_database

# Friday 2024-07-05, 15:45 New York: the default cycle time, market open.
CYCLE_TIME = datetime(2024, 7, 5, 19, 45, tzinfo=UTC)
SYMBOLS = ("AAA", "BBB")
PROVEN_MANIFEST = {"grade": {"proven": True, "summary": "a scripted test model"}}


class ShockableMarket(SimulatedMarket):
    """The simulated market, with latest prices a test can override (a price shock),
    so a protective stop at the paper exchange can be made to trigger."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.shocks: dict[str, float] = {}

    def latest_prices(self, symbols: Sequence[str]) -> dict[str, float]:
        prices = super().latest_prices(symbols)
        prices.update({s: p for s, p in self.shocks.items() if s in symbols})
        return prices


class ScriptedPredictor:
    """Predictions the test chooses, so every routing path can be driven on purpose."""

    def __init__(self, market: SimulatedMarket) -> None:
        self.market = market
        self.probabilities: dict[str, float] = {}

    def predict(
        self, symbols: Sequence[str], now: datetime, explain_edge: float | None
    ) -> PredictionBatch:
        batch = PredictionBatch()
        prices = self.market.latest_prices(list(symbols))
        for symbol in symbols:
            if symbol in self.probabilities:
                batch.predictions.append(
                    ModelPrediction(
                        symbol=symbol,
                        timestamp=now,
                        probability_up=self.probabilities[symbol],
                        model_probabilities={"gbm": self.probabilities[symbol]},
                    )
                )
                batch.atr[symbol] = prices[symbol] * 0.02
        return batch


def agent_settings(home: Path, **runtime: object) -> Settings:
    env = load_env_settings(None).model_copy(
        update={"stockbot_home": home, "stockbot_data_provider": "sim"}
    )
    values = {"symbols": SYMBOLS, **runtime}
    return Settings(env=env, trading=TradingConfig(runtime=RuntimeSettings(**values)))


def start_agent(
    home: Path, clock: SimulatedClock, **runtime: object
) -> tuple[Agent, ScriptedPredictor]:
    market = ShockableMarket(clock=clock)
    agent = build_agent(agent_settings(home, **runtime), clock=clock, data=market)
    scripted = ScriptedPredictor(market)
    agent.engine.predictor = scripted
    # The script stands in for a model graded proven, so the modes act as their names
    # say; tests of an unproven model clear this.
    agent.services.models.manifest = dict(PROVEN_MANIFEST)
    assert agent.session.start().ok
    return agent, scripted


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(CYCLE_TIME)


@pytest.fixture
def events() -> list[Event]:
    return []


@pytest.fixture
def agent(
    tmp_path: Path, clock: SimulatedClock, events: list[Event]
) -> Iterator[tuple[Agent, ScriptedPredictor]]:
    started = start_agent(tmp_path / "home", clock)
    started[0].services.bus.add_listener(events.append)
    yield started
    close_database()
