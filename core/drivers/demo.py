"""The demo's clock: one simulated session every few seconds, through the same session
lifecycle the live scheduler runs — the open step a minute after the open, the
decision step at the schedule's time before the close, then the close step.

After the decision step, while a signal waits for a person who can answer (Telegram is
up or the web page is open), the simulated clock stops until every waiting signal is
decided or the decision window (real seconds) passes; the countdowns show that window.
With nobody to answer, the day goes on and waiting signals expire at the close."""

from __future__ import annotations

import asyncio
import time as wallclock
from datetime import UTC, date, datetime, timedelta

from core.agent.agent import Agent
from core.base.clock import SimulatedClock


class DemoDriver:
    """Moves the simulated clock through one session at a time."""

    def __init__(self, agent: Agent, clock: SimulatedClock) -> None:
        self.agent = agent
        self.clock = clock
        self.calendar = agent.services.calendar

    def open_session(self, day: date) -> None:
        self.clock.set(self.calendar.session_open(day))
        self.agent.session.before_open()
        self.clock.set(self.calendar.session_open(day) + timedelta(minutes=1))
        self.agent.session.at_open()

    def decide(self, day: date) -> None:
        minutes = self.agent.services.settings.trading.schedule.cycle_minutes_before_close
        self.clock.set(self.calendar.session_close(day) - timedelta(minutes=minutes))
        self.agent.session.at_decision()

    def close_session(self, day: date) -> None:
        self.clock.set(self.calendar.session_close(day))
        self.agent.session.at_close()

    def waiting(self) -> int:
        """Signals still waiting for a decision."""
        return len(self.agent.services.store.signals.pending(self.clock.now()))

    async def wait_for_a_person(self, seconds: float, poll: float = 0.25) -> None:
        """Hold the clock while signals wait and someone can answer, up to `seconds`."""
        engine, window = self.agent.engine, self.agent.services.window
        if seconds <= 0 or not engine.someone_can_answer():
            return
        if not await asyncio.to_thread(self.waiting):
            return
        window.open_until = datetime.now(UTC) + timedelta(seconds=seconds)
        try:
            while datetime.now(UTC) < window.open_until:
                await asyncio.sleep(poll)
                if not await asyncio.to_thread(self.waiting):
                    return
        finally:
            window.open_until = None


async def replay_sessions(
    driver: DemoDriver,
    days: list[date],
    *,
    seconds_per_session: float,
    decision_seconds: float,
    sessions: int | None = None,
) -> None:
    """Each day's steps in turn, paced in wall-clock time; stops after `sessions`."""
    for count, day in enumerate(days, start=1):
        began = wallclock.monotonic()
        await asyncio.to_thread(driver.open_session, day)
        await asyncio.to_thread(driver.decide, day)
        await driver.wait_for_a_person(decision_seconds)
        await asyncio.to_thread(driver.close_session, day)
        if sessions is not None and count >= sessions:
            break
        await asyncio.sleep(max(0.0, seconds_per_session - (wallclock.monotonic() - began)))
