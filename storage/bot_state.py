"""The persisted trading state (kill switch) and the daily-loss session bookkeeping.

The trading state changes only by compare-and-set on its version: a caller reads the
state and its version, decides, and writes only if nobody changed it in between. The
audit row is written in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from core.base.types import TradingState, TradingStatus
from storage import audit
from storage.database import database_proxy
from storage.models import BotState

_ROW_ID = 1
_INITIAL_REASON = "initial state"


@dataclass(frozen=True)
class VersionedStatus:
    status: TradingStatus
    version: int
    """0 for a database that never changed its state."""


def _initial() -> TradingStatus:
    return TradingStatus(
        state=TradingState.ACTIVE,
        changed_by="system",
        reason=_INITIAL_REASON,
        changed_at=datetime(1970, 1, 1, tzinfo=UTC),
    )


def load_versioned_status() -> VersionedStatus:
    row = BotState.get_or_none(BotState.id == _ROW_ID)
    if row is None:
        return VersionedStatus(_initial(), 0)
    status = TradingStatus(
        state=TradingState(row.trading_state),
        changed_by=row.changed_by,
        reason=row.reason,
        changed_at=row.changed_at,
    )
    return VersionedStatus(status, row.version)


def load_trading_status() -> TradingStatus:
    """The stored state; a new database starts ACTIVE."""
    return load_versioned_status().status


def _ensure_row() -> None:
    initial = _initial()
    BotState.insert(
        id=_ROW_ID,
        trading_state=initial.state.value,
        changed_by=initial.changed_by,
        reason=initial.reason,
        changed_at=initial.changed_at,
        version=0,
    ).on_conflict_ignore().execute()


def change_trading_status(
    status: TradingStatus, *, expected_version: int, origin: str | None = None
) -> VersionedStatus | None:
    """Write `status` if the stored version is still `expected_version`; the audit row
    goes in the same transaction. Returns the stored result, or None when another
    change won (the caller reads again and decides again)."""
    with database_proxy.atomic(lock_type="IMMEDIATE"):
        _ensure_row()
        previous = load_versioned_status()
        if previous.version != expected_version:
            return None
        BotState.update(
            trading_state=status.state.value,
            changed_by=status.changed_by,
            reason=status.reason,
            changed_at=status.changed_at,
            version=expected_version + 1,
        ).where((BotState.id == _ROW_ID) & (BotState.version == expected_version)).execute()
        audit.record(
            status.changed_by,
            "trading_state.change",
            {
                "from": previous.status.state.value,
                "to": status.state.value,
                "reason": status.reason,
            },
            origin=origin,
            at=status.changed_at,
        )
    return VersionedStatus(status, expected_version + 1)


def load_session_start() -> tuple[str, float] | None:
    """(session date, equity at its start) the daily loss limit measures from."""
    row = BotState.get_or_none(BotState.id == _ROW_ID)
    if row is None or row.session_date is None or row.session_start_equity is None:
        return None
    return row.session_date, row.session_start_equity


def save_session_start(session_date: str, equity: float) -> None:
    with database_proxy.atomic(lock_type="IMMEDIATE"):
        _ensure_row()
        BotState.update(session_date=session_date, session_start_equity=equity).where(
            BotState.id == _ROW_ID
        ).execute()
