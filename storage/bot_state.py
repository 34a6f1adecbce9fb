"""The persisted trading state (kill switch) and the daily-loss session bookkeeping."""

from __future__ import annotations

from datetime import UTC, datetime

from core.base.types import TradingState, TradingStatus
from storage import audit
from storage.database import database_proxy
from storage.models import BotState

_ROW_ID = 1
_INITIAL_REASON = "initial state"


def load_trading_status() -> TradingStatus:
    """The stored state; a new database starts ACTIVE."""
    row = BotState.get_or_none(BotState.id == _ROW_ID)
    if row is None:
        return TradingStatus(
            state=TradingState.ACTIVE,
            changed_by="system",
            reason=_INITIAL_REASON,
            changed_at=datetime(1970, 1, 1, tzinfo=UTC),
        )
    return TradingStatus(
        state=TradingState(row.trading_state),
        changed_by=row.changed_by,
        reason=row.reason,
        changed_at=row.changed_at,
    )


def save_trading_status(status: TradingStatus, *, origin: str | None = None) -> None:
    """Persist a state change and audit it in the same transaction."""
    with database_proxy.atomic(lock_type="IMMEDIATE"):
        previous = load_trading_status()
        BotState.insert(
            id=_ROW_ID,
            trading_state=status.state.value,
            changed_by=status.changed_by,
            reason=status.reason,
            changed_at=status.changed_at,
        ).on_conflict(
            conflict_target=[BotState.id],
            preserve=[
                BotState.trading_state,
                BotState.changed_by,
                BotState.reason,
                BotState.changed_at,
            ],
        ).execute()
        audit.record(
            status.changed_by,
            "trading_state.change",
            {"from": previous.state.value, "to": status.state.value, "reason": status.reason},
            origin=origin,
            at=status.changed_at,
        )


def load_session_start() -> tuple[str, float] | None:
    """(session date, equity at its start) the daily loss limit measures from."""
    row = BotState.get_or_none(BotState.id == _ROW_ID)
    if row is None or row.session_date is None or row.session_start_equity is None:
        return None
    return row.session_date, row.session_start_equity


def save_session_start(session_date: str, equity: float) -> None:
    with database_proxy.atomic(lock_type="IMMEDIATE"):
        if BotState.get_or_none(BotState.id == _ROW_ID) is None:
            save_trading_status(load_trading_status())
        BotState.update(session_date=session_date, session_start_equity=equity).where(
            BotState.id == _ROW_ID
        ).execute()
