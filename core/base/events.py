"""Typed events and the in-process bus that carries them to the front ends.

Core base module: imports only `core.base.types`. Producers (pipeline, order manager, risk
watch) may run on the event loop or in worker threads; `EventBus.publish` is safe from
both. Consumers (Telegram notifier, web page, tests) subscribe with an asyncio queue
or a plain callback.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Literal

from pydantic import AwareDatetime, Field

from core.base.types import (
    OrderSide,
    OrderStatus,
    Record,
    TradingMode,
    TradingSignal,
    TradingState,
    TradingStatus,
)

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


class Event(Record):
    at: AwareDatetime = Field(default_factory=_now)

    @property
    def kind(self) -> str:
        return type(self).__name__


class SignalCreated(Event):
    signal: TradingSignal
    asks: bool
    """True when the signal waits for a person's decision."""


class SignalDecided(Event):
    signal_id: str
    symbol: str
    status: OrderStatus
    """approved or rejected."""
    actor: str
    order_status: OrderStatus | None = None
    detail: str = ""


class SignalExpired(Event):
    signal_id: str
    symbol: str


class OrderSubmitted(Event):
    client_order_id: str
    symbol: str
    side: OrderSide
    quantity: float
    signal_id: str | None = None


class OrderFilled(Event):
    client_order_id: str
    symbol: str
    side: OrderSide
    quantity: float
    price: float
    signal_id: str | None = None


class OrderFailed(Event):
    client_order_id: str
    symbol: str
    reason: str
    signal_id: str | None = None


class StopTriggered(Event):
    symbol: str
    reason: Literal["stop", "trailing_stop"]
    price: float
    quantity: float


class TradingStateChanged(Event):
    status: TradingStatus
    previous: TradingState


class ModeChanged(Event):
    mode: TradingMode
    actor: str
    caveat: str | None = None
    """Why the mode cannot act as its name says yet (an unproven model asks)."""


class CycleFinished(Event):
    symbols: int
    signals: int
    problems: int
    duration_ms: float


class DataProblemRaised(Event):
    symbol: str
    detail: str


class Alert(Event):
    severity: Literal["info", "warning", "critical"]
    message: str
    source: str
    """Where it came from: broker, reconciliation, data, risk, telegram …"""


class DailySummary(Event):
    session: date
    equity: float
    pnl: float
    pnl_pct: float
    trades: int


Listener = Callable[[Event], None]


class EventBus:
    """Fan-out of events to asyncio queues (each on its own loop) and callbacks."""

    def __init__(self, history: int = 500) -> None:
        self._queues: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Event]]] = []
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self.recent: deque[Event] = deque(maxlen=history)

    def subscribe(self, maxsize: int = 1000) -> asyncio.Queue[Event]:
        """A queue on the running loop that receives every event from now on."""
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        with self._lock:
            self._queues.append((asyncio.get_running_loop(), queue))
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        with self._lock:
            self._queues = [(loop, q) for loop, q in self._queues if q is not queue]

    def add_listener(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        with self._lock:
            self._listeners = [item for item in self._listeners if item is not listener]

    def publish(self, event: Event) -> None:
        with self._lock:
            queues = list(self._queues)
            listeners = list(self._listeners)
            self.recent.append(event)
        log.info("event", extra={"event": event.kind})
        for loop, queue in queues:
            if loop.is_closed():
                continue
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                _put(queue, event)
            else:
                loop.call_soon_threadsafe(_put, queue, event)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                # A broken consumer must not stop trading or other consumers.
                log.exception("event listener failed", extra={"event": event.kind})


def _put(queue: asyncio.Queue[Event], event: Event) -> None:
    if queue.full():
        # A consumer that stopped reading loses its oldest events, not the producer's time.
        queue.get_nowait()
    queue.put_nowait(event)
