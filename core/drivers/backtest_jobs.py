"""Backtests started from a front end: validated, run in a child process (a replay takes
minutes of CPU and uses its own database, so it must not share the agent's loop or
storage), with progress and the result kept in the agent's database."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import queue
import secrets
from datetime import UTC, date, datetime, time
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from typing import Any

from core.agent.backtest_requests import BacktestRequest, BacktestRunView
from core.base.calendar import get_calendar
from core.base.clock import Clock, LiveClock
from core.base.errors import InvalidRequest, NotFound
from core.base.settings import Settings
from core.data.selection import build_provider
from core.data.validation import validate_bars
from core.drivers.backtest import BacktestConfig, history_start, run_backtest
from storage import backtest_runs

log = logging.getLogger(__name__)

PROGRESS_EVERY = 5
"""Sessions between progress writes (a write per session would be 2,500 for 10 years)."""


def _run_in_child(settings: Settings, request: BacktestRequest, messages: Queue) -> None:
    """The child process: load and validate history, replay, send progress and result."""
    try:
        config = BacktestConfig(
            symbols=request.symbols, start=request.start, end=request.end, models=request.models
        )
        provider = build_provider(
            settings.env,
            broker_kind="paper",
            clock=LiveClock(),
            timeout=settings.trading.broker.request_timeout_seconds,
            name=request.provider,
        )
        end = datetime.combine(request.end, time(23, 59), tzinfo=UTC)
        raw = provider.get_bars(list(request.symbols), history_start(config), end)
        history, skipped = {}, {}
        for symbol in request.symbols:
            checked = validate_bars(symbol, raw[symbol], calendar=get_calendar())
            blocking = [p for p in checked.problems if p.blocking]
            if blocking:
                skipped[symbol] = str(blocking[0])
            else:
                history[symbol] = checked.bars
        if not history:
            raise ValueError(f"no usable history: {skipped}")

        def progress(done: int, total: int, day: date) -> None:
            if done % PROGRESS_EVERY == 0 or done == total:
                messages.put(("progress", done, total))

        result = run_backtest(settings, history, config, progress=progress)
        messages.put(("done", {**result.to_json(), "skipped": skipped}))
    except Exception as error:  # the parent records it; a child must never die silently
        messages.put(("error", f"{type(error).__name__}: {error}"))


class BacktestJobs:
    """At most one backtest at a time: the machine it runs on has few cores and the
    agent's own cycle must stay on time. The Engine's `BacktestService`."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self._running: dict[str, asyncio.Task[None]] = {}

    def fail_interrupted(self) -> int:
        return backtest_runs.fail_unfinished(
            "interrupted: the agent stopped while this backtest ran", self.clock.now()
        )

    async def start(self, request: BacktestRequest, actor: str) -> str:
        request = request.checked(today=self.clock.now().date())
        if self._running:
            busy = next(iter(self._running))
            raise InvalidRequest(f"backtest {busy} is still running; wait for it to finish")
        run_id = f"bt-{self.clock.now():%Y%m%dT%H%M%S}-{secrets.token_hex(2)}"
        await asyncio.to_thread(
            backtest_runs.create,
            run_id,
            actor=actor,
            request=request.to_json(),
            at=self.clock.now(),
        )
        # spawn, not fork: the parent has threads (the loop's workers, the scheduler).
        context = multiprocessing.get_context("spawn")
        messages: Queue = context.Queue()
        process = context.Process(
            target=_run_in_child, args=(self.settings, request, messages), daemon=True
        )
        process.start()
        self._running[run_id] = asyncio.create_task(self._follow(run_id, process, messages))
        log.info("backtest started", extra={"run_id": run_id, "actor": actor})
        return run_id

    async def _follow(self, run_id: str, process: BaseProcess, messages: Queue) -> None:
        try:
            while True:
                try:
                    message = await asyncio.to_thread(messages.get, True, 0.5)
                except queue.Empty:
                    if not process.is_alive():
                        await self._finish(
                            run_id,
                            error=f"the backtest process ended (exit code {process.exitcode})",
                        )
                        return
                    continue
                kind = message[0]
                if kind == "progress":
                    await asyncio.to_thread(backtest_runs.record_progress, run_id, *message[1:])
                elif kind == "done":
                    await self._finish(run_id, result=message[1])
                    return
                else:
                    await self._finish(run_id, error=message[1])
                    return
        except asyncio.CancelledError:
            process.terminate()
            await asyncio.to_thread(
                backtest_runs.finish, run_id, at=self.clock.now(), error="stopped with the agent"
            )
            raise
        finally:
            self._running.pop(run_id, None)
            await asyncio.to_thread(process.join, 5)

    async def _finish(
        self, run_id: str, *, result: dict[str, Any] | None = None, error: str | None = None
    ) -> None:
        await asyncio.to_thread(
            backtest_runs.finish, run_id, at=self.clock.now(), result=result, error=error
        )
        log.info("backtest finished", extra={"run_id": run_id, "failed": error is not None})

    async def stop(self) -> None:
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def get(self, run_id: str) -> BacktestRunView:
        run = await asyncio.to_thread(backtest_runs.get, run_id)
        if run is None:
            raise NotFound(f"no backtest {run_id!r}")
        return run

    async def recent(self, limit: int = 20) -> list[BacktestRunView]:
        return await asyncio.to_thread(backtest_runs.recent, limit)
