"""The demo's clock: one simulated session every few seconds, through the same session
lifecycle the live scheduler runs — the open step a minute after the open, the
decision step at the schedule's time before the close, then a pause so a person can
approve or reject (in Telegram or on the web page), then the close step."""

from __future__ import annotations

import asyncio
import time as wallclock
from datetime import date, timedelta

from core.agent.agent import Agent
from core.base.clock import SimulatedClock


class DemoDriver:
    """Moves the simulated clock through one session at a time."""

    def __init__(self, agent: Agent, clock: SimulatedClock) -> None:
        self.agent = agent
        self.clock = clock
        self.calendar = agent.services.calendar

    def open_session(self, day: date) -> None:
        self.clock.set(self.calendar.session_open(day) + timedelta(minutes=1))
        self.agent.session.at_open()

    def decide(self, day: date) -> None:
        minutes = self.agent.services.settings.trading.schedule.cycle_minutes_before_close
        self.clock.set(self.calendar.session_close(day) - timedelta(minutes=minutes))
        self.agent.session.at_decision()

    def close_session(self, day: date) -> None:
        self.clock.set(self.calendar.session_close(day))
        self.agent.session.at_close()


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
        await asyncio.sleep(decision_seconds)
        await asyncio.to_thread(driver.close_session, day)
        if sessions is not None and count >= sessions:
            break
        await asyncio.sleep(max(0.0, seconds_per_session - (wallclock.monotonic() - began)))
