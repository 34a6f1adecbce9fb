"""The agent's parts, built once by the composition root (or a backtest's own replay)
and shared by the Engine, the pipeline, the session's jobs and the drivers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.agent.decision_window import DecisionWindow
from core.base.calendar import ExchangeCalendar
from core.base.clock import Clock
from core.base.events import EventBus
from core.base.settings import RuntimeSettings, Settings
from core.data.provider import MarketDataProvider
from execution.broker import Broker
from execution.desk import OrderDesk
from ml.ensemble import Ensemble
from storage.port import Store


class RuntimeHolder:
    """The effective runtime settings; replaced whole when a person changes them."""

    def __init__(self, value: RuntimeSettings) -> None:
        self._value = value
        self._lock = threading.Lock()

    def get(self) -> RuntimeSettings:
        with self._lock:
            return self._value

    def set(self, value: RuntimeSettings) -> None:
        with self._lock:
            self._value = value


@dataclass
class ModelHolder:
    """The ensemble in use and its run; swapped atomically after a better retrain."""

    ensemble: Ensemble | None = None
    run_id: str | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _loaded: threading.Event = field(default_factory=threading.Event, repr=False)

    def swap(self, ensemble: Ensemble, run_id: str, manifest: dict[str, Any]) -> None:
        with self._lock:
            self.ensemble, self.run_id, self.manifest = ensemble, run_id, manifest
        self._loaded.set()

    def load_in_background(self, load: Callable[[ModelHolder], None]) -> threading.Thread:
        """Start loading (TensorFlow alone takes seconds) so the agent is ready before the
        model is; cycles in the meantime report that the model is still loading."""

        def run() -> None:
            try:
                load(self)
            finally:
                self._loaded.set()

        thread = threading.Thread(target=run, name="model-loader", daemon=True)
        thread.start()
        return thread

    def mark_empty(self) -> None:
        """Loading finished without a model (none trained yet)."""
        self._loaded.set()

    def wait_loaded(self, timeout: float | None = None) -> bool:
        return self._loaded.wait(timeout)

    @property
    def loading(self) -> bool:
        return not self._loaded.is_set()

    def current(self) -> tuple[Ensemble | None, str | None]:
        with self._lock:
            return self.ensemble, self.run_id


@dataclass
class Services:
    settings: Settings
    clock: Clock
    calendar: ExchangeCalendar
    data: MarketDataProvider
    broker: Broker
    store: Store
    """Where the agent keeps everything (SQLite live, memory in a replay)."""
    desk: OrderDesk
    """The order manager, protective stops, reconciliation, flatten and trading state."""
    bus: EventBus
    runtime: RuntimeHolder
    models: ModelHolder
    market_is_open: Callable[[], bool]
    """Asked of the broker's clock when it has one (Alpaca), else of the calendar."""
    window: DecisionWindow
    """When waiting signals stop waiting, in wall-clock time (countdowns read it)."""
    mode_label: str = "paper"
    """paper or live, for status lines and badges."""
