"""State the pages share, kept outside the views: the Engine, login rules, and a live
snapshot that one background task refreshes when the agent publishes an event (or every
few seconds), so ten open tabs cost one set of queries, not ten."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from core.agent.engine import Engine, PerformanceSeries, PositionView, StatusReport
from core.base import explain
from core.base.events import DailySummary
from core.base.types import TradingSignal
from webui.security import ACCOUNT, LoginThrottle, WebCredentials

log = logging.getLogger(__name__)

REFRESH_SECONDS = 2.0
HEARTBEAT_STALE_SECONDS = 120.0
"""`/healthz` answers 503 when the snapshot has not refreshed for longer than this."""
SERIES_SECONDS = 15.0
"""The performance series changes once a session; refreshed after a daily summary."""
OWNER = ACCOUNT
"""One owner per agent: the web actor is `web:owner`, and the login throttle's account.
Who a page's visitor is (owner or viewer) is per session: `webui.access`."""


@dataclass
class Snapshot:
    status: StatusReport | None = None
    positions: list[PositionView] = field(default_factory=list)
    pending: list[TradingSignal] = field(default_factory=list)
    series: PerformanceSeries | None = None
    error: str | None = None
    version: int = 0
    """Bumped on every refresh; views re-render when it changes."""


class WebState:
    def __init__(self, credentials: WebCredentials, engine: Engine | None = None) -> None:
        self.credentials = credentials
        self.engine = engine
        """None while the agent is still starting (the demo trains its model first)."""
        self.starting = "the agent is starting"
        self.throttle = LoginThrottle()
        self.snapshot = Snapshot()
        self.clock: Callable[[], float] = time.monotonic
        self.heartbeat: float | None = None
        """`clock()` of the last refresh that got every answer from the Engine."""
        self._series_at = 0.0
        self._wake = asyncio.Event()
        self._open_pages: set[str] = set()

    @property
    def zone(self) -> ZoneInfo:
        """The owner's time zone (the trading config's `timezone`): every date and time
        on the page is shown in it."""
        return explain.zone(self.engine.timezone if self.engine else None)

    def page_opened(self, client_id: str) -> None:
        """A browser tab shows a page (connected or reconnected): someone could decide a
        waiting signal, so the demo holds its clock for them (`Engine.page_viewers`)."""
        self._open_pages.add(client_id)
        self._count_pages()

    def page_closed(self, client_id: str) -> None:
        self._open_pages.discard(client_id)
        self._count_pages()

    def _count_pages(self) -> None:
        if self.engine is not None:
            self.engine.page_viewers = len(self._open_pages)

    def attach(self, engine: Engine) -> None:
        self.engine = engine
        self._count_pages()
        self._wake.set()

    def poke(self, series: bool = False) -> None:
        """Refresh now (after the page itself changed something)."""
        if series:
            self._series_at = 0.0
        self._wake.set()

    async def refresh(self) -> None:
        engine = self.engine
        if engine is None:
            return
        snap = self.snapshot
        try:
            snap.status = await engine.status()
            snap.positions = await engine.positions()
            snap.pending = await engine.pending_signals()
            if time.monotonic() - self._series_at > SERIES_SECONDS:
                snap.series = await engine.performance_series()
                self._series_at = time.monotonic()
            snap.error = None
            self.heartbeat = self.clock()
        except Exception as error:  # a view shows the last good data and says why
            log.warning("web snapshot refresh failed", extra={"error": str(error)})
            snap.error = str(error)
        snap.version += 1

    def health(self) -> tuple[int, str]:
        """(HTTP status, text) for `/healthz`: the heartbeat's age and nothing else.
        503 while the agent is not attached (the demo trains its model first) or has not
        refreshed yet, and when the last good refresh is over 2 minutes old."""
        if self.engine is None or self.heartbeat is None:
            return 503, "starting"
        age = max(0, int(self.clock() - self.heartbeat))
        if age > HEARTBEAT_STALE_SECONDS:
            return 503, f"stale heartbeat_age_s={age}"
        return 200, f"ok heartbeat_age_s={age}"

    async def follow(self) -> None:
        """Run for the life of the page: refresh on events and on a timer."""
        queue = None
        while True:
            if queue is None and self.engine is not None:
                queue = self.engine.subscribe()
            await self.refresh()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(REFRESH_SECONDS):
                    await self._next_event(queue)
            self._wake.clear()

    async def _next_event(self, queue: asyncio.Queue | None) -> None:
        wake = asyncio.create_task(self._wake.wait())
        waiters: set[asyncio.Future] = {wake}
        if queue is not None:
            waiters.add(asyncio.ensure_future(queue.get()))
        try:
            done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        for finished in done:
            if not finished.cancelled() and isinstance(finished.result(), DailySummary):
                self._series_at = 0.0
        # Events come in bursts (a cycle publishes several): let the burst finish.
        await asyncio.sleep(0.2)
