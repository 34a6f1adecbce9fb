"""What a person can change: the mode, the kill switch (stop or flatten), resume, and
the runtime settings. Each change is validated, audited with who and from where, and
announced as one event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.agent.services import Services
from core.agent.signal_policy import why_it_asks
from core.base.errors import InvalidRequest
from core.base.events import ModeChanged
from core.base.settings import RuntimeSettings, SettingsError, apply_overrides
from core.base.types import KillScope, TradingMode, TradingStatus
from ml.registry import is_proven
from risk.trading_state import OrderPurpose
from risk.trading_state import kill as plan_kill
from risk.trading_state import resume as plan_resume
from storage import overrides


def _parse_override(key: str, value: Any) -> Any:
    """Values typed in a chat arrive as text; the settings model validates the rest."""
    if isinstance(value, str) and key == "symbols":
        return value
    if isinstance(value, str) and value.lower() in ("none", "null", ""):
        return None
    return value


def update_settings(
    s: Services, changes: Mapping[str, Any], actor: str, origin: str | None
) -> RuntimeSettings:
    parsed = {key: _parse_override(key, value) for key, value in changes.items()}
    try:
        updated = apply_overrides(s.runtime.get(), parsed)
    except SettingsError as error:
        raise InvalidRequest(str(error), error.fields) from error
    stored = updated.model_dump(mode="json", include=set(parsed))
    overrides.save_overrides(stored, actor, origin=origin, now=s.clock.now())
    s.runtime.set(updated)
    return updated


def set_mode(s: Services, mode: str, actor: str, origin: str | None) -> TradingMode:
    try:
        chosen = TradingMode(mode.lower())
    except ValueError as error:
        raise InvalidRequest(f"mode {mode!r}: use auto, manual or hybrid") from error
    update_settings(s, {"mode": chosen.value}, actor, origin)
    caveat = why_it_asks(chosen, proven=is_proven(s.models.manifest))
    s.bus.publish(ModeChanged(mode=chosen, actor=actor, caveat=caveat))
    return chosen


def kill(s: Services, scope: KillScope, actor: str, origin: str | None) -> TradingStatus:
    """`stop`: halt, cancel entry orders in flight (each confirmed by the broker), keep
    protective stops and exits. `flatten`: a durable job that halts, cancels every
    order — protective stops last — and closes every position until flat."""
    if scope is KillScope.FLATTEN:
        return s.desk.flattener.start(actor, origin)
    now = s.clock.now()
    status = s.desk.trading_state.change(
        lambda current: plan_kill(current, scope, actor=actor, now=now).status, origin=origin
    )
    assert status is not None
    s.desk.orders.cancel_working(purposes=(OrderPurpose.OPEN,))
    return status


def resume(s: Services, actor: str, origin: str | None) -> TradingStatus:
    now = s.clock.now()
    status = s.desk.trading_state.change(
        lambda current: plan_resume(current, actor=actor, now=now), origin=origin
    )
    assert status is not None
    return status
