"""Signal expiry: a signal nobody decided in time expires (and its messages say so)."""

from __future__ import annotations

from core.agent.approval import expire
from core.agent.services import Services


def expire_signals(services: Services) -> int:
    """Expire every waiting signal whose time has passed; returns how many."""
    now = services.clock.now()
    due = services.store.signals.due_for_expiry(now)
    return sum(expire(services, signal, now) for signal in due)
