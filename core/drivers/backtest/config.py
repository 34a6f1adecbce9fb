"""What a backtest runs and what comes back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from core.base.settings import RuntimeSettings

ApprovePolicy = Literal["approve", "reject"]
Progress = Callable[[int, int, date], None]


@dataclass(frozen=True)
class BacktestConfig:
    symbols: Sequence[str]
    start: date
    end: date
    models: Sequence[str] = ("gbm", "rf", "momentum")
    retrain_every: int = 21
    """Sessions between retrainings (21 ≈ monthly)."""
    train_years: float = 3.0
    """Rolling training window."""
    max_train_samples: int = 20_000
    """Newest samples kept per training (keeps 100-symbol runs within minutes)."""
    approve_policy: ApprovePolicy = "approve"
    """What a person would have answered to signals that ask: approve or reject all."""
    seed: int = 7
    runtime: RuntimeSettings | None = None
    """Runtime settings for the run (default: the configuration's)."""


@dataclass(frozen=True)
class TradeRecord:
    """One round trip (or an open position marked at the end)."""

    symbol: str
    side: str
    qty: float
    entry_time: str
    entry_price: float
    exit_time: str
    exit_price: float
    stop_at_entry: float | None
    """The protective stop placed at entry: the plan's risk per share below the fill."""
    pnl: float
    exit_reason: str
    """signal, stop, trailing_stop, time, flatten, or open at end."""


@dataclass
class BacktestResult:
    metrics: dict[str, Any]
    benchmark: dict[str, Any]
    trades: list[TradeRecord]
    equity: list[dict[str, Any]]
    retrainings: int = 0
    sessions: int = 0
    events: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "metrics": self.metrics,
            "benchmark": self.benchmark,
            "trades": [asdict(t) for t in self.trades],
            "equity": self.equity,
            "retrainings": self.retrainings,
            "sessions": self.sessions,
        }


def history_start(config: BacktestConfig) -> datetime:
    """Bars needed before `start`: the training window plus the features' warm-up."""
    days = int(365.25 * config.train_years) + 500
    return datetime.combine(config.start - timedelta(days=days), datetime.min.time(), tzinfo=UTC)
