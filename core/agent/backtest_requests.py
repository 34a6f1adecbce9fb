"""Backtests a person starts from a front end: the request, its checks, and what the
Engine needs from whoever runs them (the drivers do, in a child process)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Protocol

from core.base.errors import InvalidRequest
from core.base.settings import HISTORY_PROVIDERS, MODEL_NAMES
from core.base.types import SYMBOL_PATTERN
from storage.backtest_runs import BacktestRunRecord

BacktestRunView = BacktestRunRecord
"""A backtest run as the page shows it: request, progress, result or error."""

MAX_SYMBOLS = 50


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
        if self.provider not in HISTORY_PROVIDERS:
            problems["provider"] = f"{self.provider!r}: use {', '.join(HISTORY_PROVIDERS)}"
        unknown = [m for m in self.models if m not in MODEL_NAMES]
        if not self.models or unknown:
            problems["models"] = f"choose one or more of {', '.join(MODEL_NAMES)}"
        if problems:
            message = "; ".join(f"{key}: {reason}" for key, reason in problems.items())
            raise InvalidRequest(f"backtest not started — {message}", problems)
        return BacktestRequest(symbols, self.start, self.end, self.provider, tuple(self.models))

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "start": self.start.isoformat(), "end": self.end.isoformat()}


class BacktestService(Protocol):
    """Runs backtests for the Engine (one at a time, away from the agent's loop)."""

    async def start(self, request: BacktestRequest, actor: str) -> str: ...
    async def get(self, run_id: str) -> BacktestRunView: ...
    async def recent(self, limit: int = 20) -> list[BacktestRunView]: ...
    async def stop(self) -> None: ...
    def fail_interrupted(self) -> int: ...
