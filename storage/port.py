"""The storage port: what the order paths, the approval path, the session's jobs and
the paper exchange need from storage, as protocols.

Two implementations keep the same semantics (compare-and-set, journal before submit,
one transaction per multi-table step, audit rows): `SqliteStore` (the live agent: the
`storage` modules over one SQLite file) and `MemoryStore` (a replay: dicts, no SQL).
The same tests run against both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from core.base.types import (
    ModelPrediction,
    OrderSide,
    OrderStatus,
    OrderType,
    TradingSignal,
    TradingStatus,
)
from storage.bot_state import VersionedStatus
from storage.flatten_jobs import FlattenJobRecord
from storage.journal import NewFill, PlannedStop
from storage.orders import FillRecord, IntentFields
from storage.records import (
    EquityRecord,
    FillRow,
    OrderRecord,
    PaperOrderRecord,
    PaperPositionRecord,
    PositionRecord,
    PredictionRecord,
)


class SignalsRepo(Protocol):
    def save_signal(self, signal: TradingSignal) -> None: ...
    def save_refused(
        self, signal: TradingSignal, reasons: list[str], *, actor: str, now: datetime
    ) -> None: ...
    def get_signal(self, signal_id: str) -> TradingSignal: ...
    def transition(
        self,
        signal_id: str,
        from_status: OrderStatus,
        to_status: OrderStatus,
        actor: str,
        *,
        now: datetime | None = None,
        origin: str | None = None,
    ) -> bool: ...
    def pending(self, now: datetime) -> list[TradingSignal]: ...
    def count_pending(self) -> int: ...
    def due_for_expiry(self, now: datetime) -> list[TradingSignal]: ...
    def history(
        self,
        *,
        limit: int,
        symbol: str | None = None,
        status: str | None = None,
        mode: str | None = None,
        since: datetime | None = None,
    ) -> list[TradingSignal]: ...
    def count_all(self) -> int: ...
    def decided_by(self, signal_id: str) -> str | None: ...


class OrdersRepo(Protocol):
    def write_intent(self, intent: IntentFields, now: datetime) -> tuple[OrderRecord, bool]: ...
    def get_by_client_id(self, client_order_id: str) -> OrderRecord | None: ...
    def get_by_signal(self, signal_id: str) -> OrderRecord | None: ...
    def reload(self, record: OrderRecord) -> OrderRecord: ...
    def unfinished(self) -> list[OrderRecord]: ...
    def working(
        self, *, symbol: str | None = None, purpose: str | None = None, exclude: str | None = None
    ) -> list[OrderRecord]: ...
    def queued(self) -> list[OrderRecord]: ...
    def client_ids_like(self, prefix: str) -> list[str]: ...
    def recent(self, limit: int = 100, since: datetime | None = None) -> list[OrderRecord]: ...
    def decisions_since(self, since: datetime) -> list[OrderRecord]: ...
    def update(
        self,
        record: OrderRecord,
        *,
        status: OrderStatus | None = None,
        broker_order_id: str | None = None,
        filled_quantity: float | None = None,
        filled_avg_price: float | None = None,
        error: str | None = None,
        submitted_at: datetime | None = None,
        now: datetime | None = None,
    ) -> OrderRecord: ...
    def set_time_in_force(self, record: OrderRecord, time_in_force: str, now: datetime) -> None: ...
    def clear_send_after(self, record: OrderRecord, now: datetime) -> None: ...
    def shrink_intent(self, record: OrderRecord, quantity: float, now: datetime) -> None: ...
    def adopt_external(
        self,
        *,
        client_order_id: str,
        broker_order_id: str,
        symbol: str,
        side: OrderSide,
        quantity: float,
        order_type: OrderType,
        status: OrderStatus,
        filled_quantity: float,
        filled_avg_price: float | None,
        now: datetime,
    ) -> OrderRecord: ...
    def commission_recorded(self, record: OrderRecord) -> float: ...
    def fills_since(self, since: datetime) -> list[FillRow]: ...
    def fill_records(self, since: datetime | None = None) -> list[FillRecord]: ...
    def count_failed(self) -> int: ...


class BookRepo(Protocol):
    def open_positions(self) -> list[PositionRecord]: ...
    def open_position(self, symbol: str) -> PositionRecord | None: ...
    def last_position(self, symbol: str) -> PositionRecord | None: ...
    def realized_since(self, start: datetime | None) -> float: ...
    def set_stops(
        self,
        symbol: str,
        *,
        initial_stop: float | None = None,
        stop_price: float | None = None,
        trailing_stop: float | None = None,
        highest_price: float | None = None,
        now: datetime | None = None,
    ) -> None: ...
    def correct_to_broker(
        self, symbol: str, quantity: float, avg_price: float, now: datetime
    ) -> str | None: ...


class JournalRepo(Protocol):
    def approve_with_intent(
        self,
        signal_id: str,
        intent: IntentFields,
        *,
        actor: str,
        origin: str | None,
        now: datetime,
        changes: dict[str, object] | None = None,
    ) -> OrderRecord | None: ...
    def apply_broker_update(
        self,
        row: OrderRecord,
        *,
        status: OrderStatus,
        broker_order_id: str | None,
        filled_quantity: float,
        filled_avg_price: float | None,
        submitted_at: datetime | None,
        error: str | None,
        fill: NewFill | None,
        planned_stop: PlannedStop | None,
        now: datetime,
    ) -> OrderRecord: ...
    def approved_without_order(self) -> list[str]: ...


class PaperRepo(Protocol):
    def cash(self, starting_cash: float, now: datetime) -> float: ...
    def positions(self) -> list[PaperPositionRecord]: ...
    def held(self, symbol: str) -> float: ...
    def order(self, order_id: str) -> PaperOrderRecord | None: ...
    def order_by_client_id(self, client_order_id: str) -> PaperOrderRecord | None: ...
    def orders(
        self,
        status: str = "all",
        since: datetime | None = None,
        symbols: Sequence[str] | None = None,
    ) -> list[PaperOrderRecord]: ...
    def held_by_open_sells(self, symbol: str) -> float: ...
    def commission_of(self, order: PaperOrderRecord) -> float: ...
    def create_order(
        self,
        *,
        client_order_id: str,
        symbol: str,
        side: OrderSide,
        order_type: str,
        quantity: float,
        limit_price: float | None,
        stop_price: float | None,
        now: datetime,
    ) -> PaperOrderRecord | None: ...
    def execute(
        self,
        order: PaperOrderRecord,
        *,
        price: float,
        commission: float,
        starting_cash: float,
        now: datetime,
    ) -> None: ...
    def replace(
        self,
        order: PaperOrderRecord,
        *,
        client_order_id: str,
        quantity: float,
        stop_price: float | None,
        now: datetime,
    ) -> PaperOrderRecord | None: ...
    def finish(
        self,
        order: PaperOrderRecord,
        status: OrderStatus,
        now: datetime,
        reason: str | None = None,
    ) -> None: ...


class StateRepo(Protocol):
    def load_versioned_status(self) -> VersionedStatus: ...
    def load_trading_status(self) -> TradingStatus: ...
    def change_trading_status(
        self, status: TradingStatus, *, expected_version: int, origin: str | None = None
    ) -> VersionedStatus | None: ...
    def load_session_start(self) -> tuple[str, float] | None: ...
    def save_session_start(self, session_date: str, equity: float) -> None: ...


class FlattenRepo(Protocol):
    def start(self, requested_by: str, *, origin: str | None, at: datetime) -> FlattenJobRecord: ...
    def unfinished(self) -> list[FlattenJobRecord]: ...
    def finish(self, job_id: int, *, status: str, detail: str, at: datetime) -> None: ...
    def recent(self, limit: int = 20) -> list[FlattenJobRecord]: ...


class EquityRepo(Protocol):
    def record_snapshot(
        self, *, at: datetime, equity: float, cash: float, exposure: float, daily_pnl: float
    ) -> None: ...
    def curve(self, since: datetime | None = None) -> list[EquityRecord]: ...
    def latest_before(self, at: datetime) -> EquityRecord | None: ...


class PredictionsRepo(Protocol):
    def save_predictions(
        self, predictions: Iterable[ModelPrediction], *, now: datetime | None = None
    ) -> int: ...
    def unscored(self, before: datetime) -> list[PredictionRecord]: ...
    def score(
        self, prediction: PredictionRecord, *, outcome: int, realized_return: float, at: datetime
    ) -> None: ...
    def scored(self, since: datetime | None = None) -> list[PredictionRecord]: ...


class AuditRepo(Protocol):
    def record(
        self,
        actor: str,
        action: str,
        details: Mapping[str, Any] | None = None,
        *,
        origin: str | None = None,
        at: datetime | None = None,
    ) -> None: ...


class Store(Protocol):
    @property
    def signals(self) -> SignalsRepo: ...
    @property
    def orders(self) -> OrdersRepo: ...
    @property
    def book(self) -> BookRepo: ...
    @property
    def journal(self) -> JournalRepo: ...
    @property
    def paper(self) -> PaperRepo: ...
    @property
    def state(self) -> StateRepo: ...
    @property
    def flatten(self) -> FlattenRepo: ...
    @property
    def equity(self) -> EquityRepo: ...
    @property
    def predictions(self) -> PredictionsRepo: ...
    @property
    def audit(self) -> AuditRepo: ...
    def transaction(self) -> AbstractContextManager[Any]: ...
