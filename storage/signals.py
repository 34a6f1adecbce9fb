"""Signals: saving, loading, and the compare-and-set status transition (DESIGN §4)."""

from __future__ import annotations

from datetime import UTC, datetime

from core.base.types import (
    ModelPrediction,
    OrderStatus,
    SignalType,
    TradingMode,
    TradingSignal,
    is_allowed_transition,
)
from storage import audit
from storage.database import database_proxy
from storage.models import Signal

DECISIONS = frozenset({OrderStatus.APPROVED, OrderStatus.REJECTED, OrderStatus.EXPIRED})


class SignalNotFound(LookupError):
    """No signal has that id. The system tells the user; nothing changes."""


def save_signal(signal: TradingSignal) -> None:
    Signal.create(
        id=signal.id,
        symbol=signal.symbol,
        signal_type=signal.signal_type.value,
        confidence=signal.confidence,
        price=signal.price,
        quantity=signal.quantity,
        stop_price=signal.stop_price,
        risk_amount=signal.risk_amount,
        mode=signal.mode.value,
        status=signal.status.value,
        reasons=list(signal.reasons),
        prediction=signal.prediction.model_dump(mode="json") if signal.prediction else None,
        created_at=signal.created_at,
        expires_at=signal.expires_at,
        updated_at=signal.created_at,
    )


def to_domain(row: Signal) -> TradingSignal:
    return TradingSignal(
        id=row.id,
        symbol=row.symbol,
        signal_type=SignalType(row.signal_type),
        confidence=row.confidence,
        price=row.price,
        quantity=row.quantity,
        stop_price=row.stop_price,
        risk_amount=row.risk_amount,
        mode=TradingMode(row.mode),
        status=OrderStatus(row.status),
        created_at=row.created_at,
        expires_at=row.expires_at,
        reasons=tuple(row.reasons),
        prediction=ModelPrediction.model_validate(row.prediction) if row.prediction else None,
    )


def get_signal(signal_id: str) -> TradingSignal:
    row = Signal.get_or_none(Signal.id == signal_id)
    if row is None:
        raise SignalNotFound(f"no signal with id {signal_id!r}")
    return to_domain(row)


def transition(
    signal_id: str,
    from_status: OrderStatus,
    to_status: OrderStatus,
    actor: str,
    *,
    now: datetime | None = None,
    origin: str | None = None,
) -> bool:
    """Move a signal from `from_status` to `to_status` if and only if it is still there.

    Returns True for the one caller that won. A decision on a pending signal also
    requires it to be unexpired (and an expiry requires it to be due), so a double tap,
    two front ends or a retry can never act twice. The audit row is written in the same
    transaction as the change.
    """
    if not is_allowed_transition(from_status, to_status):
        raise ValueError(f"a signal cannot go from {from_status} to {to_status}")
    now = now or datetime.now(UTC)
    changes: dict = {Signal.status: to_status.value, Signal.updated_at: now}
    if to_status in DECISIONS:
        changes.update({Signal.decided_at: now, Signal.decided_by: actor})
    query = Signal.update(changes).where(
        (Signal.id == signal_id) & (Signal.status == from_status.value)
    )
    if from_status is OrderStatus.PENDING:
        due = (
            Signal.expires_at <= now
            if to_status is OrderStatus.EXPIRED
            else Signal.expires_at > now
        )
        query = query.where(due)
    with database_proxy.atomic(lock_type="IMMEDIATE"):
        won = query.execute() == 1
        if won:
            audit.record(
                actor,
                f"signal.{to_status.value}",
                {"signal_id": signal_id, "from": from_status.value},
                origin=origin,
                at=now,
            )
    return won


def save_refused(signal: TradingSignal, reasons: list[str], *, actor: str, now: datetime) -> None:
    """A signal the pre-trade checks refused: stored REJECTED with its reasons and the
    audit row in one transaction (never PENDING, not even for a moment)."""
    refused = signal.model_copy(update={"status": OrderStatus.REJECTED})
    with database_proxy.atomic(lock_type="IMMEDIATE"):
        save_signal(refused)
        Signal.update(decided_at=now, decided_by=actor).where(Signal.id == signal.id).execute()
        audit.record(actor, "signal.refused", {"signal_id": signal.id, "reasons": reasons}, at=now)


def pending(now: datetime) -> list[TradingSignal]:
    """Signals still waiting for a decision, oldest first."""
    rows = (
        Signal.select()
        .where((Signal.status == OrderStatus.PENDING.value) & (Signal.expires_at > now))
        .order_by(Signal.created_at)
    )
    return [to_domain(r) for r in rows]


def count_pending() -> int:
    return Signal.select().where(Signal.status == OrderStatus.PENDING.value).count()


def due_for_expiry(now: datetime) -> list[TradingSignal]:
    rows = Signal.select().where(
        (Signal.status == OrderStatus.PENDING.value) & (Signal.expires_at <= now)
    )
    return [to_domain(r) for r in rows]


def history(
    *,
    limit: int,
    symbol: str | None = None,
    status: str | None = None,
    mode: str | None = None,
    since: datetime | None = None,
) -> list[TradingSignal]:
    """Newest first, filtered as a person asks on the page."""
    query = Signal.select().order_by(Signal.created_at.desc())
    if symbol:
        query = query.where(Signal.symbol == symbol.upper())
    if status:
        query = query.where(Signal.status == status)
    if mode:
        query = query.where(Signal.mode == mode)
    if since:
        query = query.where(Signal.created_at >= since)
    return [to_domain(r) for r in query.limit(limit)]


def count_all() -> int:
    return Signal.select().count()


def decided_by(signal_id: str) -> str | None:
    row = Signal.get_or_none(Signal.id == signal_id)
    return row.decided_by if row else None
