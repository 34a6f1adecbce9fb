"""Backtests started from a front end: validated, run in a child process (a replay takes
minutes of CPU and uses its own database, so it must not share the agent's loop or
storage), with progress and the result kept in the agent's database."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import queue
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from typing import Any

from core.base.calendar import get_calendar
from core.base.clock import Clock, LiveClock
from core.data.selection import build_provider
from core.data.validation import validate_bars
from core.base.errors import InvalidRequest, NotFound
from core.base.settings import Settings
from core.base.types import SYMBOL_PATTERN
from ml.models import MODEL_NAMES
from storage import backtest_runs
from storage.models import BacktestRun

log = logging.getLogger(__name__)

PROVIDERS = ("sim", "csv", "yahoo", "alpaca")
MAX_SYMBOLS = 50
PROGRESS_EVERY = 5
"""Sessions between progress writes (a write per session would be 2,500 for 10 years)."""


@dataclass(frozen=True)
class BacktestRequest:
    symbols: tuple[str, ...]
    start: date
    end: date
    provider: str = "sim"
    models: tuple[str, ...] = ("gbm", "rf", "momentum")

    def checked(self, today: date) -> BacktestRequest:
        """This request, upper-cased; InvalidRequest naming every field that is wrong."""
        symbols = tuple(dict.fromkeys(s.strip().upper() for s in self.symbols if s.strip()))
        problems: dict[str, str] = {}
        bad = [s for s in symbols if not re.fullmatch(SYMBOL_PATTERN, s)]
        if not symbols:
            problems["symbols"] = "give at least one ticker"
        elif bad:
            problems["symbols"] = f"{bad[0]!r} is not a ticker"
        elif len(symbols) > MAX_SYMBOLS:
            problems["symbols"] = f"at most {MAX_SYMBOLS} symbols per backtest"
        if self.start >= self.end:
            problems["start"] = f"start {self.start} must be before end {self.end}"
        if self.end > today:
            problems["end"] = f"end {self.end} is in the future"
        if self.provider not in PROVIDERS:
            problems["provider"] = f"{self.provider!r}: use {', '.join(PROVIDERS)}"
        unknown = [m for m in self.models if m not in MODEL_NAMES]
        if not self.models or unknown:
            problems["models"] = f"choose one or more of {', '.join(MODEL_NAMES)}"
        if problems:
            message = "; ".join(f"{key}: {reason}" for key, reason in problems.items())
            raise InvalidRequest(f"backtest not started — {message}", problems)
        return BacktestRequest(symbols, self.start, self.end, self.provider, tuple(self.models))

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclass(frozen=True)
class BacktestRunView:
    id: str
    created_at: datetime
    actor: str
    request: dict[str, Any]
    status: str
    done: int
    total: int
    result: dict[str, Any] | None
    error: str | None
    finished_at: datetime | None


def view(row: BacktestRun) -> BacktestRunView:
    return BacktestRunView(
        id=row.id,
        created_at=row.created_at,
        actor=row.actor,
        request=row.request,
        status=row.status,
        done=row.done,
        total=row.total,
        result=row.result,
        error=row.error,
        finished_at=row.finished_at,
    )


def _run_in_child(settings: Settings, request: BacktestRequest, messages: Queue) -> None:
    """The child process: load and validate history, replay, send progress and result."""
    # Imported here: the replay needs the composition root, which imports the Engine.
    from core.drivers.backtest import BacktestConfig, history_start, run_backtest

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
    agent's own cycle must stay on time."""

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
        row = await asyncio.to_thread(backtest_runs.get, run_id)
        if row is None:
            raise NotFound(f"no backtest {run_id!r}")
        return view(row)

    async def recent(self, limit: int = 20) -> list[BacktestRunView]:
        return [view(r) for r in await asyncio.to_thread(backtest_runs.recent, limit)]
