from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from core.base.types import TradingState, TradingStatus
from storage import audit
from storage.bot_state import (
    change_trading_status,
    load_session_start,
    load_trading_status,
    load_versioned_status,
    save_session_start,
)
from storage.database import close_database, open_database
from storage.overrides import clear_overrides, load_overrides, save_overrides

T0 = datetime(2024, 3, 1, 15, tzinfo=UTC)


def test_new_database_is_active(database) -> None:
    assert load_trading_status().state is TradingState.ACTIVE


def test_trading_state_survives_restart_and_is_audited(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    open_database(path)
    change_trading_status(
        TradingStatus(
            state=TradingState.HALTED, changed_by="telegram:42", reason="kill stop", changed_at=T0
        ),
        expected_version=0,
        origin="chat:42",
    )
    close_database()
    open_database(path)
    try:
        status = load_trading_status()
        assert status.state is TradingState.HALTED
        assert status.changed_by == "telegram:42"
        assert status.changed_at == T0
        event = audit.recent()[0]
        assert (event.action, event.origin) == ("trading_state.change", "chat:42")
        assert event.details == {"from": "active", "to": "halted", "reason": "kill stop"}
    finally:
        close_database()


def test_a_change_against_a_stale_version_is_refused(database) -> None:
    """Compare-and-set: whoever read before another change landed must read again."""
    halted = TradingStatus(
        state=TradingState.HALTED, changed_by="telegram:42", reason="kill stop", changed_at=T0
    )
    lifted = halted.model_copy(update={"state": TradingState.ACTIVE, "changed_by": "risk"})
    assert change_trading_status(halted, expected_version=0) is not None
    assert change_trading_status(lifted, expected_version=0) is None
    assert load_trading_status().state is TradingState.HALTED
    assert load_versioned_status().version == 1
    assert [e.action for e in audit.recent()] == ["trading_state.change"]


def test_session_start_is_kept_beside_the_state(database) -> None:
    assert load_session_start() is None
    save_session_start("2024-03-01", 10_000.0)
    assert load_session_start() == ("2024-03-01", 10_000.0)
    assert load_trading_status().state is TradingState.ACTIVE


def test_overrides_save_audit_and_clear(database) -> None:
    save_overrides({"mode": "manual"}, actor="web:owner", now=T0)
    save_overrides({"mode": "auto", "symbols": ["SPY"]}, actor="telegram:1", now=T0)
    assert load_overrides() == {"mode": "auto", "symbols": ["SPY"]}
    last = audit.recent()[0]
    assert last.actor == "telegram:1"
    assert last.details["mode"] == {"old": "manual", "new": "auto"}
    clear_overrides(["mode"], actor="web:owner")
    assert load_overrides() == {"symbols": ["SPY"]}
