"""The in-memory store: the same repositories as the SQLite store, on dicts and lists.

A replay (a backtest) runs the live order paths against it — the same journal, book,
signals, paper exchange and trading state rules, without building SQL — and can write
everything to a SQLite file at the end (`write_to`) so a run can be looked at like a
live database. The rules that move orders, positions and the paper exchange's books are
shared with the SQLite store (`storage.orders.update_changes`, `storage.book`,
`storage.paper_exchange`), so both stores do exactly the same; a parity test replays one
backtest through each and compares them row for row.

Single-threaded by design (a replay is one thread); `transaction()` is a no-op.
"""

from __future__ import annotations

import contextlib
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from core.base.types import (
    ModelPrediction,
    OrderSide,
    OrderStatus,
    PositionStatus,
    TradingSignal,
    TradingState,
    TradingStatus,
    is_allowed_transition,
)
from storage import book as book_rules
from storage import paper_exchange as paper_rules
from storage.bot_state import VersionedStatus
from storage.database import database_proxy
from storage.flatten_jobs import RUNNING, FlattenJobRecord
from storage.journal import SIGNAL_PATH, NewFill, PlannedStop
from storage.models import AuditEvent, EquitySnapshot, Fill, Order, Position, Signal
from storage.orders import OPEN_STATUSES, PROTECT, FillRecord, IntentFields, update_changes
from storage.predictions import prediction_row
from storage.records import (
    EquityRecord,
    FillRow,
    OrderRecord,
    PaperOrderRecord,
    PaperPositionRecord,
    PositionRecord,
    PredictionRecord,
)
from storage.signals import DECISIONS, SignalNotFound, save_signal

_OPEN = tuple(s.value for s in OPEN_STATUSES)


@dataclass
class _SignalEntry:
    signal: TradingSignal
    updated_at: datetime
    decided_at: datetime | None = None
    decided_by: str | None = None


@dataclass
class AuditEntry:
    timestamp: datetime
    actor: str
    action: str
    details: dict[str, Any]
    origin: str | None


class MemorySignals:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.rows: dict[str, _SignalEntry] = {}
        self._pending: dict[str, _SignalEntry] = {}
        """The waiting ones: a long replay asks for them every session, and a signal
        never becomes pending again once decided."""

    def save_signal(self, signal: TradingSignal) -> None:
        if signal.id in self.rows:
            raise ValueError(f"signal {signal.id} exists")
        entry = _SignalEntry(signal, signal.created_at)
        self.rows[signal.id] = entry
        if signal.status is OrderStatus.PENDING:
            self._pending[signal.id] = entry

    def save_refused(
        self, signal: TradingSignal, reasons: list[str], *, actor: str, now: datetime
    ) -> None:
        refused = signal.model_copy(update={"status": OrderStatus.REJECTED})
        self.save_signal(refused)
        entry = self.rows[signal.id]
        entry.decided_at, entry.decided_by = now, actor
        self._store.audit.record(
            actor, "signal.refused", {"signal_id": signal.id, "reasons": reasons}, at=now
        )

    def get_signal(self, signal_id: str) -> TradingSignal:
        entry = self.rows.get(signal_id)
        if entry is None:
            raise SignalNotFound(f"no signal with id {signal_id!r}")
        return entry.signal

    def transition(
        self,
        signal_id: str,
        from_status: OrderStatus,
        to_status: OrderStatus,
        actor: str,
        *,
        now: datetime | None = None,
        origin: str | None = None,
    ) -> bool:
        if not is_allowed_transition(from_status, to_status):
            raise ValueError(f"a signal cannot go from {from_status} to {to_status}")
        now = now or datetime.now(UTC)
        entry = self.rows.get(signal_id)
        if entry is None or entry.signal.status is not from_status:
            return False
        if from_status is OrderStatus.PENDING:
            due = entry.signal.expires_at <= now
            if due != (to_status is OrderStatus.EXPIRED):
                return False
        entry.signal = entry.signal.model_copy(update={"status": to_status})
        entry.updated_at = now
        self._pending.pop(signal_id, None)  # no transition leads back to pending
        if to_status in DECISIONS:
            entry.decided_at, entry.decided_by = now, actor
        self._store.audit.record(
            actor,
            f"signal.{to_status.value}",
            {"signal_id": signal_id, "from": from_status.value},
            origin=origin,
            at=now,
        )
        return True

    def _where(self, status: OrderStatus) -> list[TradingSignal]:
        if status is OrderStatus.PENDING:
            return [e.signal for e in self._pending.values()]
        return [e.signal for e in self.rows.values() if e.signal.status is status]

    def pending(self, now: datetime) -> list[TradingSignal]:
        waiting = [s for s in self._where(OrderStatus.PENDING) if s.expires_at > now]
        return sorted(waiting, key=lambda s: s.created_at)

    def count_pending(self) -> int:
        return len(self._where(OrderStatus.PENDING))

    def due_for_expiry(self, now: datetime) -> list[TradingSignal]:
        return [s for s in self._where(OrderStatus.PENDING) if s.expires_at <= now]

    def history(
        self,
        *,
        limit: int,
        symbol: str | None = None,
        status: str | None = None,
        mode: str | None = None,
        since: datetime | None = None,
    ) -> list[TradingSignal]:
        out = [
            e.signal
            for e in self.rows.values()
            if (not symbol or e.signal.symbol == symbol.upper())
            and (not status or e.signal.status.value == status)
            and (not mode or e.signal.mode.value == mode)
            and (not since or e.signal.created_at >= since)
        ]
        return sorted(out, key=lambda s: s.created_at, reverse=True)[:limit]

    def count_all(self) -> int:
        return len(self.rows)

    def decided_by(self, signal_id: str) -> str | None:
        entry = self.rows.get(signal_id)
        return entry.decided_by if entry else None


class MemoryOrders:
    def __init__(self) -> None:
        self.rows: dict[int, OrderRecord] = {}
        self.by_client_id: dict[str, OrderRecord] = {}
        self._by_signal: dict[str, OrderRecord] = {}
        self._maybe_open: dict[int, OrderRecord] = {}
        """Rows not seen final yet: an order never reopens, so the open ones are found
        without scanning a long replay's whole journal."""
        self.fills: list[FillRow] = []
        # The fills again in (time, id) order, as SQLite returns them, with their times
        # beside them: `fills_since` is a bisection, not a scan of the whole run.
        self._fill_times: list[datetime] = []
        self._fills_by_time: list[FillRow] = []
        self._commission: dict[int, float] = {}
        self._created: list[datetime] = []
        self._in_creation_order: list[OrderRecord] = []
        """Rows by creation time (a replay's clock only moves forward), so "since" is a
        binary search rather than a scan of the whole journal."""
        self._client_ids: list[str] = []
        """Every client order id, sorted: the ids with a prefix are one range of it."""

    def write_intent(self, intent: IntentFields, now: datetime) -> tuple[OrderRecord, bool]:
        existing = self.by_client_id.get(intent.client_order_id)
        if existing is not None:
            return existing, False
        record = OrderRecord(
            id=len(self.rows) + 1,
            client_order_id=intent.client_order_id,
            symbol=intent.symbol,
            side=intent.side.value,
            order_type=intent.order_type.value,
            quantity=intent.quantity,
            status=OrderStatus.APPROVED.value,
            created_at=now,
            updated_at=now,
            signal_id=intent.signal_id,
            limit_price=intent.limit_price,
            stop_price=intent.stop_price,
            purpose=intent.purpose,
            time_in_force=intent.time_in_force,
            reason=intent.reason,
            planned_stop=intent.planned_stop,
            send_after=intent.send_after,
            extended_hours=intent.extended_hours,
        )
        self._add(record)
        return record, True

    def _add(self, record: OrderRecord) -> None:
        self.rows[record.id] = record
        self.by_client_id[record.client_order_id] = record
        insort(self._client_ids, record.client_order_id)
        if self._created and record.created_at < self._created[-1]:
            position = bisect_right(self._created, record.created_at)
            self._created.insert(position, record.created_at)
            self._in_creation_order.insert(position, record)
        else:
            self._created.append(record.created_at)
            self._in_creation_order.append(record)
        if record.signal_id is not None:
            self._by_signal.setdefault(record.signal_id, record)
        if record.status in _OPEN:
            self._maybe_open[record.id] = record

    def _open_rows(self) -> list[OrderRecord]:
        for key in [k for k, r in self._maybe_open.items() if r.status not in _OPEN]:
            del self._maybe_open[key]
        return list(self._maybe_open.values())

    def get_by_client_id(self, client_order_id: str) -> OrderRecord | None:
        return self.by_client_id.get(client_order_id)

    def get_by_signal(self, signal_id: str) -> OrderRecord | None:
        return self._by_signal.get(signal_id)

    def reload(self, record: OrderRecord) -> OrderRecord:
        return self.rows[record.id]

    def unfinished(self) -> list[OrderRecord]:
        return self._open_rows()

    def working(
        self, *, symbol: str | None = None, purpose: str | None = None, exclude: str | None = None
    ) -> list[OrderRecord]:
        return [
            r
            for r in self._open_rows()
            if (symbol is None or r.symbol == symbol)
            and (purpose is None or r.purpose == purpose)
            and (exclude is None or r.purpose != exclude)
        ]

    def queued(self) -> list[OrderRecord]:
        waiting = [
            r
            for r in self._open_rows()
            if r.status == OrderStatus.APPROVED.value and r.send_after is not None
        ]
        return sorted(waiting, key=lambda r: (r.send_after, r.id))

    def client_ids_like(self, prefix: str) -> list[str]:
        out = []
        for cid in islice(self._client_ids, bisect_left(self._client_ids, prefix), None):
            if not cid.startswith(prefix):
                break
            out.append(cid)
        return out

    def _created_since(self, since: datetime) -> list[OrderRecord]:
        return self._in_creation_order[bisect_left(self._created, since) :]

    def recent(self, limit: int = 100, since: datetime | None = None) -> list[OrderRecord]:
        rows = [r for r in self.rows.values() if since is None or r.created_at >= since]
        return sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)[:limit]

    def decisions_since(self, since: datetime) -> list[OrderRecord]:
        return [
            r
            for r in self._created_since(since)
            if not r.external and r.purpose != PROTECT and r.submitted_at is not None
        ]

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
    ) -> OrderRecord:
        changes = update_changes(
            record,
            status=status,
            broker_order_id=broker_order_id,
            filled_quantity=filled_quantity,
            filled_avg_price=filled_avg_price,
            error=error,
            submitted_at=submitted_at,
            now=now or datetime.now(UTC),
        )
        for key, value in changes.items():
            setattr(record, key, value)
        return record

    def set_time_in_force(self, record: OrderRecord, time_in_force: str, now: datetime) -> None:
        record.time_in_force, record.updated_at = time_in_force, now

    def clear_send_after(self, record: OrderRecord, now: datetime) -> None:
        record.send_after, record.updated_at = None, now

    def shrink_intent(self, record: OrderRecord, quantity: float, now: datetime) -> None:
        record.quantity, record.updated_at = quantity, now

    def adopt_external(
        self,
        *,
        client_order_id: str,
        broker_order_id: str,
        symbol: str,
        side: OrderSide,
        quantity: float,
        order_type: Any,
        status: OrderStatus,
        filled_quantity: float,
        filled_avg_price: float | None,
        now: datetime,
    ) -> OrderRecord:
        record = OrderRecord(
            id=len(self.rows) + 1,
            client_order_id=client_order_id,
            symbol=symbol,
            side=side.value,
            order_type=order_type.value,
            quantity=quantity,
            status=status.value,
            created_at=now,
            updated_at=now,
            broker_order_id=broker_order_id,
            filled_quantity=filled_quantity,
            filled_avg_price=filled_avg_price,
            external=True,
            purpose="reduce" if side is OrderSide.SELL else "open",
            error="adopted: found at the broker, not sent by stockbot",
        )
        self._add(record)
        return record

    def record_fill(
        self,
        order: OrderRecord,
        *,
        quantity: float,
        price: float,
        commission: float,
        at: datetime,
        broker_fill_id: str | None = None,
    ) -> None:
        row = FillRow(
            len(self.fills) + 1, order.id, order.symbol, order.side, quantity, price, commission, at
        )
        self.fills.append(row)
        position = bisect_right(self._fill_times, at)
        self._fill_times.insert(position, at)
        self._fills_by_time.insert(position, row)
        self._commission[order.id] = self._commission.get(order.id, 0.0) + commission

    def commission_recorded(self, record: OrderRecord) -> float:
        return self._commission.get(record.id, 0.0)

    def fills_since(self, since: datetime) -> list[FillRow]:
        return self._fills_by_time[bisect_left(self._fill_times, since) :]

    def fill_records(self, since: datetime | None = None) -> list[FillRecord]:
        return [
            FillRecord(
                symbol=f.symbol,
                side=OrderSide(f.side),
                quantity=f.quantity,
                price=f.price,
                commission=f.commission,
                filled_at=f.filled_at,
                client_order_id=self.rows[f.order_id].client_order_id,
                signal_id=self.rows[f.order_id].signal_id,
                reason=self.rows[f.order_id].reason,
                signal_stop=self._signal_value(f.order_id, "stop_price"),
                signal_price=self._signal_value(f.order_id, "price"),
            )
            for f in self.fills
            if since is None or f.filled_at >= since
        ]

    def _signal_value(self, order_id: int, name: str) -> float | None:
        signal_id = self.rows[order_id].signal_id
        signals = self.signals
        if signal_id is None or signal_id not in signals.rows:
            return None
        value = getattr(signals.rows[signal_id].signal, name)
        return float(value) if value is not None else None

    def count_failed(self) -> int:
        return sum(1 for r in self.rows.values() if r.status == OrderStatus.FAILED.value)

    signals: MemorySignals
    """Set by the store: fill records read their signal's plan."""


class MemoryBook:
    def __init__(self) -> None:
        self.rows: list[PositionRecord] = []
        self._open: dict[str, int] = {}

    def _put(self, record: PositionRecord) -> None:
        if record.id == 0:
            record = replace(record, id=len(self.rows) + 1)
            self.rows.append(record)
        else:
            self.rows[record.id - 1] = record
        if record.status == PositionStatus.OPEN.value:
            self._open[record.symbol] = record.id
        else:
            self._open.pop(record.symbol, None)

    def open_positions(self) -> list[PositionRecord]:
        return sorted((self.rows[i - 1] for i in self._open.values()), key=lambda p: p.symbol)

    def open_position(self, symbol: str) -> PositionRecord | None:
        index = self._open.get(symbol)
        return self.rows[index - 1] if index else None

    def last_position(self, symbol: str) -> PositionRecord | None:
        return next((p for p in reversed(self.rows) if p.symbol == symbol), None)

    def apply_fill(
        self,
        symbol: str,
        side: OrderSide,
        quantity: float,
        price: float,
        commission: float,
        at: datetime,
        *,
        exit_reason: str | None = None,
    ) -> float:
        moved, realised = book_rules.fill_position(
            self.open_position(symbol), symbol, side, quantity, price, commission, at, exit_reason
        )
        if moved is not None:
            self._put(moved)
        return realised

    def realized_since(self, start: datetime | None) -> float:
        return sum(p.realized_pnl for p in self.rows if start is None or p.updated_at >= start)

    def set_stops(
        self,
        symbol: str,
        *,
        initial_stop: float | None = None,
        stop_price: float | None = None,
        trailing_stop: float | None = None,
        highest_price: float | None = None,
        now: datetime | None = None,
    ) -> None:
        position = self.open_position(symbol)
        if position is None:
            return
        self._put(
            book_rules.with_stops(
                position,
                initial_stop=initial_stop,
                stop_price=stop_price,
                trailing_stop=trailing_stop,
                highest_price=highest_price,
                now=now or datetime.now(UTC),
            )
        )

    def correct_to_broker(
        self, symbol: str, quantity: float, avg_price: float, now: datetime
    ) -> str | None:
        corrected, change = book_rules.corrected_position(
            self.open_position(symbol), symbol, quantity, avg_price, now
        )
        if change is not None and corrected is not None:
            self._put(corrected)
        return change


class MemoryJournal:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def approve_with_intent(
        self,
        signal_id: str,
        intent: IntentFields,
        *,
        actor: str,
        origin: str | None,
        now: datetime,
        changes: dict[str, object] | None = None,
    ) -> OrderRecord | None:
        s = self._store
        if not s.signals.transition(
            signal_id, OrderStatus.PENDING, OrderStatus.APPROVED, actor, now=now, origin=origin
        ):
            return None
        row, _ = s.orders.write_intent(intent, now)
        if changes:
            s.audit.record(
                actor, "signal.modified", {"signal_id": signal_id, **changes}, origin=origin, at=now
            )
        return row

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
    ) -> OrderRecord:
        s = self._store
        s.orders.update(
            row,
            status=status,
            broker_order_id=broker_order_id,
            filled_quantity=filled_quantity,
            filled_avg_price=filled_avg_price,
            submitted_at=submitted_at,
            error=error,
            now=now,
        )
        if fill is not None:
            side = OrderSide(row.side)
            s.orders.record_fill(
                row,
                quantity=fill.quantity,
                price=fill.price,
                commission=fill.commission,
                at=fill.at,
            )
            s.book.apply_fill(
                row.symbol,
                side,
                fill.quantity,
                fill.price,
                fill.commission,
                fill.at,
                exit_reason=row.reason,
            )
            if side is OrderSide.BUY and planned_stop is not None and filled_avg_price:
                stop = filled_avg_price - planned_stop.risk_per_share
                position = s.book.open_position(row.symbol)
                if (
                    0 < stop < filled_avg_price
                    and position is not None
                    and position.trailing_stop is None
                ):
                    s.book.set_stops(
                        row.symbol,
                        initial_stop=stop,
                        stop_price=stop,
                        highest_price=filled_avg_price,
                        now=now,
                    )
        if row.signal_id is not None:
            for start, end in SIGNAL_PATH.get(OrderStatus(row.status), []):
                s.signals.transition(row.signal_id, start, end, "system", now=now)
        return row

    def approved_without_order(self) -> list[str]:
        s = self._store
        with_order = {r.signal_id for r in s.orders.rows.values() if r.signal_id}
        return [
            sid
            for sid, entry in s.signals.rows.items()
            if entry.signal.status is OrderStatus.APPROVED and sid not in with_order
        ]


class MemoryPaper:
    def __init__(self) -> None:
        self.cash_balance: float | None = None
        self.position_rows: dict[str, PaperPositionRecord] = {}
        self.order_rows: dict[str, PaperOrderRecord] = {}
        self.by_client_id: dict[str, PaperOrderRecord] = {}
        self._maybe_open: dict[str, PaperOrderRecord] = {}
        """Orders not seen final yet (an order never reopens)."""
        self.fill_count = 0
        self._commission: dict[str, float] = {}

    def cash(self, starting_cash: float, now: datetime) -> float:
        if self.cash_balance is None:
            self.cash_balance = starting_cash
        return self.cash_balance

    def positions(self) -> list[PaperPositionRecord]:
        return [self.position_rows[s] for s in sorted(self.position_rows)]

    def held(self, symbol: str) -> float:
        position = self.position_rows.get(symbol)
        return position.quantity if position else 0.0

    def order(self, order_id: str) -> PaperOrderRecord | None:
        return self.order_rows.get(order_id)

    def order_by_client_id(self, client_order_id: str) -> PaperOrderRecord | None:
        return self.by_client_id.get(client_order_id)

    def orders(
        self,
        status: str = "all",
        since: datetime | None = None,
        symbols: Sequence[str] | None = None,
    ) -> list[PaperOrderRecord]:
        if status == "open":
            for key in [
                k for k, r in self._maybe_open.items() if r.status not in paper_rules.OPEN_STATUSES
            ]:
                del self._maybe_open[key]
        out = []
        for row in (self._maybe_open if status == "open" else self.order_rows).values():
            is_open = row.status in paper_rules.OPEN_STATUSES
            if (status == "open" and not is_open) or (status == "closed" and is_open):
                continue
            if since is not None and row.submitted_at < since:
                continue
            if symbols is not None and row.symbol not in symbols:
                continue
            out.append(row)
        return out

    def held_by_open_sells(self, symbol: str) -> float:
        return sum(
            r.quantity - r.filled_quantity
            for r in self.orders("open", symbols=[symbol])
            if r.side == OrderSide.SELL.value
        )

    def commission_of(self, order: PaperOrderRecord) -> float:
        return self._commission.get(order.id, 0.0)

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
    ) -> PaperOrderRecord | None:
        if client_order_id in self.by_client_id:
            return None
        row = PaperOrderRecord(
            id=paper_rules.paper_order_id(client_order_id),
            client_order_id=client_order_id,
            symbol=symbol,
            side=side.value,
            order_type=order_type,
            quantity=quantity,
            status=OrderStatus.SUBMITTED.value,
            submitted_at=now,
            updated_at=now,
            limit_price=limit_price,
            stop_price=stop_price,
        )
        self.order_rows[row.id] = row
        self.by_client_id[client_order_id] = row
        self._maybe_open[row.id] = row
        return row

    def execute(
        self,
        order: PaperOrderRecord,
        *,
        price: float,
        commission: float,
        starting_cash: float,
        now: datetime,
    ) -> None:
        effect = paper_rules.execution_effect(
            order,
            self.cash(starting_cash, now),
            self.position_rows.get(order.symbol),
            price=price,
            commission=commission,
            now=now,
        )
        self.cash_balance = effect.cash
        if effect.position is None:
            self.position_rows.pop(order.symbol, None)
        else:
            self.position_rows[order.symbol] = effect.position
        self.fill_count += 1
        self._commission[order.id] = self._commission.get(order.id, 0.0) + commission
        for key, value in paper_rules.filled(order, price, now).items():
            setattr(order, key, value)

    def replace(
        self,
        order: PaperOrderRecord,
        *,
        client_order_id: str,
        quantity: float,
        stop_price: float | None,
        now: datetime,
    ) -> PaperOrderRecord | None:
        created = self.create_order(
            client_order_id=client_order_id,
            symbol=order.symbol,
            side=OrderSide(order.side),
            order_type=order.order_type,
            quantity=quantity,
            limit_price=order.limit_price,
            stop_price=stop_price if stop_price is not None else order.stop_price,
            now=now,
        )
        if created is not None:
            self.finish(order, OrderStatus.CANCELLED, now, reason=f"replaced by {client_order_id}")
        return created

    def finish(
        self,
        order: PaperOrderRecord,
        status: OrderStatus,
        now: datetime,
        reason: str | None = None,
    ) -> None:
        for key, value in paper_rules.finished(order, status, now, reason).items():
            setattr(order, key, value)


class MemoryState:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.status = TradingStatus(
            state=TradingState.ACTIVE,
            changed_by="system",
            reason="initial state",
            changed_at=datetime(1970, 1, 1, tzinfo=UTC),
        )
        self.version = 0
        self.session: tuple[str, float] | None = None

    def load_versioned_status(self) -> VersionedStatus:
        return VersionedStatus(self.status, self.version)

    def load_trading_status(self) -> TradingStatus:
        return self.status

    def change_trading_status(
        self, status: TradingStatus, *, expected_version: int, origin: str | None = None
    ) -> VersionedStatus | None:
        if self.version != expected_version:
            return None
        previous = self.status
        self.status, self.version = status, expected_version + 1
        self._store.audit.record(
            status.changed_by,
            "trading_state.change",
            {"from": previous.state.value, "to": status.state.value, "reason": status.reason},
            origin=origin,
            at=status.changed_at,
        )
        return VersionedStatus(status, self.version)

    def load_session_start(self) -> tuple[str, float] | None:
        return self.session

    def save_session_start(self, session_date: str, equity: float) -> None:
        self.session = (session_date, equity)


class MemoryFlatten:
    def __init__(self) -> None:
        self.jobs: list[FlattenJobRecord] = []
        self.finished: dict[int, datetime] = {}

    def start(self, requested_by: str, *, origin: str | None, at: datetime) -> FlattenJobRecord:
        job = FlattenJobRecord(len(self.jobs) + 1, requested_by, origin, at, RUNNING, None)
        self.jobs.append(job)
        return job

    def unfinished(self) -> list[FlattenJobRecord]:
        return [j for j in self.jobs if j.status == RUNNING]

    def finish(self, job_id: int, *, status: str, detail: str, at: datetime) -> None:
        self.jobs[job_id - 1] = replace(self.jobs[job_id - 1], status=status, detail=detail)
        self.finished[job_id] = at

    def recent(self, limit: int = 20) -> list[FlattenJobRecord]:
        return list(reversed(self.jobs))[:limit]


class MemoryEquity:
    def __init__(self) -> None:
        self.rows: dict[datetime, EquityRecord] = {}

    def record_snapshot(
        self, *, at: datetime, equity: float, cash: float, exposure: float, daily_pnl: float
    ) -> None:
        self.rows[at] = EquityRecord(at, equity, cash, exposure, daily_pnl)

    def curve(self, since: datetime | None = None) -> list[EquityRecord]:
        return [self.rows[t] for t in sorted(self.rows) if since is None or t >= since]

    def latest_before(self, at: datetime) -> EquityRecord | None:
        earlier = [t for t in self.rows if t < at]
        return self.rows[max(earlier)] if earlier else None


class MemoryPredictions:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, datetime, int, str], PredictionRecord] = {}
        self._unscored: list[PredictionRecord] = []

    def save_predictions(
        self, predictions: Iterable[ModelPrediction], *, now: datetime | None = None
    ) -> int:
        now = now or datetime.now(UTC)
        added = 0
        for p in predictions:
            values = prediction_row(p, now)
            key = (p.symbol, p.timestamp, p.horizon, str(values["model_run_id"]))
            if key in self.rows:
                continue
            record = PredictionRecord(id=len(self.rows) + 1, **values)  # type: ignore[arg-type]
            self.rows[key] = record
            self._unscored.append(record)
            added += 1
        return added

    def unscored(self, before: datetime) -> list[PredictionRecord]:
        self._unscored = [p for p in self._unscored if p.outcome is None]
        return sorted((p for p in self._unscored if p.bar_time <= before), key=lambda p: p.bar_time)

    def score(
        self, prediction: PredictionRecord, *, outcome: int, realized_return: float, at: datetime
    ) -> None:
        prediction.outcome, prediction.realized_return, prediction.scored_at = (
            outcome,
            realized_return,
            at,
        )

    def scored(self, since: datetime | None = None) -> list[PredictionRecord]:
        out = [
            p
            for p in self.rows.values()
            if p.outcome is not None and (since is None or p.bar_time >= since)
        ]
        return sorted(out, key=lambda p: p.bar_time)


class MemoryAudit:
    def __init__(self) -> None:
        self.rows: list[AuditEntry] = []

    def record(
        self,
        actor: str,
        action: str,
        details: Mapping[str, Any] | None = None,
        *,
        origin: str | None = None,
        at: datetime | None = None,
    ) -> None:
        self.rows.append(
            AuditEntry(at or datetime.now(UTC), actor, action, dict(details or {}), origin)
        )


class UnkeptPredictions:
    """A prediction log that keeps nothing, for a replay: its predictions are not
    written back (`write_to`), and their scores are the live model's record, which a
    backtest has no use for. Keeping them made the close's scoring job walk every
    symbol's plan every session — three quarters of a 100-symbol replay."""

    def save_predictions(
        self, predictions: Iterable[ModelPrediction], *, now: datetime | None = None
    ) -> int:
        return 0

    def unscored(self, before: datetime) -> list[PredictionRecord]:
        return []

    def score(
        self, prediction: PredictionRecord, *, outcome: int, realized_return: float, at: datetime
    ) -> None:
        raise ValueError(f"prediction {prediction.id} was never kept")

    def scored(self, since: datetime | None = None) -> list[PredictionRecord]:
        return []


@dataclass
class MemoryStore:
    keep_predictions: bool = True
    """False for a replay (see `UnkeptPredictions`)."""
    signals: MemorySignals = field(init=False)
    orders: MemoryOrders = field(init=False)
    book: MemoryBook = field(init=False)
    journal: MemoryJournal = field(init=False)
    paper: MemoryPaper = field(init=False)
    state: MemoryState = field(init=False)
    flatten: MemoryFlatten = field(init=False)
    equity: MemoryEquity = field(init=False)
    predictions: MemoryPredictions | UnkeptPredictions = field(init=False)
    audit: MemoryAudit = field(init=False)

    def __post_init__(self) -> None:
        self.audit = MemoryAudit()
        self.signals = MemorySignals(self)
        self.orders = MemoryOrders()
        self.orders.signals = self.signals
        self.book = MemoryBook()
        self.journal = MemoryJournal(self)
        self.paper = MemoryPaper()
        self.state = MemoryState(self)
        self.flatten = MemoryFlatten()
        self.equity = MemoryEquity()
        self.predictions = MemoryPredictions() if self.keep_predictions else UnkeptPredictions()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        yield

    def write_to(self) -> None:
        """Write everything to the open SQLite database in bulk (one transaction), so a
        replayed run can be looked at like a live one."""
        write_memory_store(self)


def write_memory_store(store: MemoryStore) -> None:
    with database_proxy.atomic():
        for entry in store.signals.rows.values():
            save_signal(entry.signal)
            Signal.update(
                decided_at=entry.decided_at,
                decided_by=entry.decided_by,
                updated_at=entry.updated_at,
            ).where(Signal.id == entry.signal.id).execute()
        Order.insert_many([_order_columns(r) for r in store.orders.rows.values()]).execute()
        Fill.insert_many(
            [
                {
                    "order": f.order_id,
                    "symbol": f.symbol,
                    "side": f.side,
                    "quantity": f.quantity,
                    "price": f.price,
                    "commission": f.commission,
                    "filled_at": f.filled_at,
                }
                for f in store.orders.fills
            ]
        ).execute()
        for position in store.book.rows:
            Position.create(**{k: v for k, v in asdict(position).items() if k != "id"})
        EquitySnapshot.insert_many([asdict(e) for e in store.equity.rows.values()]).execute()
        AuditEvent.insert_many(
            [
                {
                    "timestamp": a.timestamp,
                    "actor": a.actor,
                    "action": a.action,
                    "details": a.details,
                    "origin": a.origin,
                }
                for a in store.audit.rows
            ]
        ).execute()


def _order_columns(record: OrderRecord) -> dict[str, object]:
    columns = asdict(record)
    columns["signal"] = columns.pop("signal_id")
    return columns
