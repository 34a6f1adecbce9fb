"""The rows the order paths read and write, as plain records: the same shape whichever
store keeps them (SQLite live, memory in a replay). A store mutates the record it hands
out when it writes, so a caller holding one sees the change."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(eq=False)
class OrderRecord:
    """A journal row: an intent written before submit, then the broker's view of it."""

    id: int
    client_order_id: str
    symbol: str
    side: str
    order_type: str
    quantity: float
    status: str
    created_at: datetime
    updated_at: datetime
    signal_id: str | None = None
    broker_order_id: str | None = None
    limit_price: float | None = None
    stop_price: float | None = None
    filled_quantity: float = 0.0
    filled_avg_price: float | None = None
    external: bool = False
    purpose: str = "open"
    time_in_force: str = "day"
    reason: str | None = None
    planned_stop: float | None = None
    send_after: datetime | None = None
    extended_hours: bool = False
    error: str | None = None
    submitted_at: datetime | None = None


@dataclass(eq=False)
class FillRow:
    id: int
    order_id: int
    symbol: str
    side: str
    quantity: float
    price: float
    commission: float
    filled_at: datetime


@dataclass(eq=False)
class PositionRecord:
    """A position of the agent's book, with the stops it plans."""

    id: int
    symbol: str
    quantity: float
    avg_entry_price: float
    status: str
    opened_at: datetime
    updated_at: datetime
    initial_stop: float | None = None
    stop_price: float | None = None
    trailing_stop: float | None = None
    highest_price: float | None = None
    realized_pnl: float = 0.0
    exit_reason: str | None = None
    closed_at: datetime | None = None


@dataclass(eq=False)
class PaperOrderRecord:
    """An order at the paper exchange (its exchange-side view)."""

    id: str
    client_order_id: str
    symbol: str
    side: str
    order_type: str
    quantity: float
    status: str
    submitted_at: datetime
    updated_at: datetime
    limit_price: float | None = None
    stop_price: float | None = None
    filled_quantity: float = 0.0
    filled_avg_price: float | None = None
    reject_reason: str | None = None


@dataclass(eq=False)
class PaperPositionRecord:
    symbol: str
    quantity: float
    avg_entry_price: float
    updated_at: datetime


@dataclass(eq=False)
class PredictionRecord:
    id: int
    symbol: str
    bar_time: datetime
    horizon: int
    probability_up: float
    model_run_id: str
    created_at: datetime
    details: dict[str, object] = field(default_factory=dict)
    outcome: int | None = None
    realized_return: float | None = None
    scored_at: datetime | None = None


@dataclass(frozen=True)
class EquityRecord:
    timestamp: datetime
    equity: float
    cash: float
    exposure: float
    daily_pnl: float
