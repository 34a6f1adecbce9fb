"""The daily loss limit: roll the session's starting equity, then halt (or reduce) when
equity falls the set share below it, and lift that halt at the next session.

The change goes through the trading state's one owner, which decides on the state as
stored at the moment of writing: a person's kill that lands in between is never lifted
here (only their own resume does that).
"""

from __future__ import annotations

from datetime import datetime

from core.agent.services import Services
from core.base.events import Alert
from core.base.types import TradingState, TradingStatus
from risk.daily_loss import SessionStart, evaluate_daily_loss, roll_session


def session_start(services: Services, equity: float) -> SessionStart:
    """The session's starting equity, rolled over (and stored) when a session begins."""
    now = services.clock.now()
    stored = services.store.state.load_session_start()
    previous = SessionStart(datetime.fromisoformat(stored[0]).date(), stored[1]) if stored else None
    start = roll_session(previous, now, equity)
    if start != previous:
        services.store.state.save_session_start(start.session.isoformat(), start.equity)
    return start


def check_daily_loss(services: Services) -> TradingStatus | None:
    now = services.clock.now()
    equity = services.broker.get_account().equity
    start = session_start(services, equity)
    runtime = services.runtime.get()

    def decide(current: TradingStatus) -> TradingStatus | None:
        return evaluate_daily_loss(current, start, equity, runtime, now)

    new = services.desk.trading_state.change(decide)
    if new is not None:
        critical = new.state is not TradingState.ACTIVE
        services.bus.publish(
            Alert(severity="critical" if critical else "info", source="risk", message=new.reason)
        )
    return new
