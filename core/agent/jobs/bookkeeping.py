"""The end of a session: an equity snapshot (the equity curve) and the daily summary."""

from __future__ import annotations

from datetime import UTC, datetime, time

from core.agent.services import Services
from core.base.events import DailySummary
from risk.daily_loss import session_of


def _start_equity(services: Services, current: float) -> float:
    stored = services.store.state.load_session_start()
    return stored[1] if stored else current


def snapshot_equity(services: Services) -> None:
    now = services.clock.now()
    account = services.broker.get_account()
    services.store.equity.record_snapshot(
        at=now,
        equity=account.equity,
        cash=account.cash,
        exposure=account.equity - account.cash,
        daily_pnl=account.equity - _start_equity(services, account.equity),
    )


def daily_summary(services: Services) -> DailySummary:
    now = services.clock.now()
    account = services.broker.get_account()
    start_equity = _start_equity(services, account.equity)
    day_start = datetime.combine(session_of(now), time(), tzinfo=UTC)
    summary = DailySummary(
        session=session_of(now),
        equity=account.equity,
        pnl=account.equity - start_equity,
        pnl_pct=(account.equity / start_equity - 1.0) if start_equity else 0.0,
        trades=len(services.store.orders.fills_since(day_start)),
    )
    services.bus.publish(summary)
    return summary
