"""The live schedule (APScheduler `AsyncIOScheduler`, DESIGN §2): WHEN the session
lifecycle's steps run on real time. WHAT each step runs is `core.agent.session`.

Calendar-aware: the decision step and the close step are one-shot jobs placed at the
next session's times (half days included) and placed again after each run; the watch
step runs every minute while the market is open; reconciliation every few minutes;
expiry every 30 s. Every job has `max_instances=1`, coalesces missed runs and has a
misfire grace time. Blocking work goes to a thread; retraining to a process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.agent.agent import Agent
from core.agent.order_choices import QUEUE_LEAD
from core.drivers.retrain import retrain
from risk.daily_loss import session_of

log = logging.getLogger(__name__)

END_OF_DAY_DELAY = timedelta(minutes=5)


class AgentScheduler:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        schedule = agent.services.settings.trading.schedule
        self._schedule = schedule
        self.scheduler = AsyncIOScheduler(
            timezone="UTC",
            job_defaults={
                "max_instances": 1,
                "coalesce": True,
                "misfire_grace_time": schedule.misfire_grace_seconds,
            },
        )

    # -- times -----------------------------------------------------------------------

    def _next_close_plus(self, after: datetime, offset: timedelta) -> datetime:
        """The first session close + `offset` that is later than `after`."""
        calendar = self.agent.services.calendar
        today = session_of(after)
        if calendar.is_session(today) and calendar.session_close(today) + offset > after:
            return calendar.session_close(today) + offset
        return calendar.session_close(session_of(calendar.next_open(after))) + offset

    def next_cycle_time(self, after: datetime) -> datetime:
        return self._next_close_plus(
            after, -timedelta(minutes=self._schedule.cycle_minutes_before_close)
        )

    def next_end_of_day(self, after: datetime) -> datetime:
        return self._next_close_plus(after, END_OF_DAY_DELAY)

    def next_pre_open(self, after: datetime) -> datetime:
        """QUEUE_LEAD before the first session open later than `after` + the lead."""
        calendar = self.agent.services.calendar
        return calendar.next_open(after + QUEUE_LEAD) - QUEUE_LEAD

    # -- jobs ------------------------------------------------------------------------

    def _in_thread(
        self, name: str, function: Callable[[], object]
    ) -> Callable[[], Awaitable[None]]:
        async def job() -> None:
            try:
                await asyncio.to_thread(function)
            except Exception:
                # A failing job is logged and tried again at its next time; the agent lives.
                log.exception("job failed", extra={"job": name})

        return job

    def _watch(self) -> None:
        if self.agent.services.market_is_open():
            self.agent.session.on_watch()

    async def _cycle(self) -> None:
        try:
            await asyncio.to_thread(self.agent.session.at_decision)
        except Exception:
            log.exception("trading cycle failed")
        finally:
            self._place("cycle", self._cycle, self.next_cycle_time(self.agent.services.clock.now()))

    async def _pre_open(self) -> None:
        await self._in_thread("pre_open", self.agent.session.before_open)()
        self._place("pre_open", self._pre_open, self.next_pre_open(self.agent.services.clock.now()))

    async def _eod(self) -> None:
        await self._in_thread("end_of_day", self.agent.session.at_close)()
        self._place("end_of_day", self._eod, self.next_end_of_day(self.agent.services.clock.now()))

    async def _retrain(self) -> None:
        try:
            await retrain(self.agent.services)
        except Exception:
            log.exception("retraining failed; the current model stays")

    def _place(self, job_id: str, function: Callable[[], Awaitable[None]], when: datetime) -> None:
        self.scheduler.add_job(
            function, DateTrigger(run_date=when), id=job_id, replace_existing=True, name=job_id
        )

    def start(self) -> None:
        s = self.agent.services
        now = s.clock.now()
        interval = self._schedule.watch_interval_seconds
        self.scheduler.add_job(
            self._in_thread("watch", self._watch),
            IntervalTrigger(seconds=interval),
            id="watch",
            name="watch",
        )
        self.scheduler.add_job(
            self._in_thread("reconcile", self.agent.session.start),
            IntervalTrigger(minutes=self._schedule.reconcile_interval_minutes),
            id="reconcile",
            name="reconcile",
        )
        self.scheduler.add_job(
            self._in_thread("expiry", self.agent.session.expire),
            IntervalTrigger(seconds=30),
            id="expiry",
            name="expiry",
        )
        hour, minute = (int(x) for x in self._schedule.retrain_time.split(":"))
        self.scheduler.add_job(
            self._retrain,
            CronTrigger(
                day_of_week=self._schedule.retrain_weekday,
                hour=hour,
                minute=minute,
                timezone=s.settings.trading.timezone,
            ),
            id="retrain",
            name="retrain",
        )
        self._place("cycle", self._cycle, self.next_cycle_time(now))
        self._place("end_of_day", self._eod, self.next_end_of_day(now))
        self._place("pre_open", self._pre_open, self.next_pre_open(now))
        self.scheduler.start()
        log.info("scheduler started", extra={"jobs": len(self.scheduler.get_jobs())})

    def next_runs(self) -> dict[str, datetime | None]:
        return {job.id: job.next_run_time for job in self.scheduler.get_jobs()}

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
