"""Backtests: the live pipeline replayed over history with a simulated clock and the
paper broker, retraining walk-forward so no model ever sees its test period.

Each session d:
1. at the open, the paper exchange fills waiting orders against bar d (market orders at
   the open, limits and stops against the high and low) and stops are checked against
   bar d — a gap through a stop exits at the open;
2. at the close, the models are retrained if due (on data up to d, labels known by d),
   the trading cycle runs on bars up to d, orders wait for the next open (the
   convention of backtesting.py: decide on a close, fill at the next open), signals
   that would ask a person follow `approve_policy`, the daily loss limit is applied and
   equity is marked to the close.

Predictions are made for a whole retraining window at once (features are causal, so
this equals predicting bar by bar — the lookahead test checks it); everything after
the prediction is the live code path.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import talib

from core.agent import approval, watch
from core.app.composition import build_broker
from core.base.calendar import ExchangeCalendar, get_calendar
from core.base.clock import SimulatedClock
from core.data.replay import ReplayMarket
from core.base.events import EventBus
from core.agent.performance import buy_and_hold
from core.agent.pipeline import run_cycle
from core.agent.predictor import PrecomputedPredictor, PredictionBatch, Predictor
from core.agent.services import ModelHolder, RuntimeHolder, Services
from core.base.settings import RuntimeSettings, Settings
from core.base.types import OrderStatus
from execution.order_manager import OrderManager
from execution.paper import PaperBroker
from ml.dataset import Samples, build_samples
from ml.ensemble import Ensemble
from ml.models import create_models
from risk.metrics import max_drawdown, period_returns, profit_factor, sharpe, sortino, win_rate
from storage import equity as stored_equity
from storage.database import close_database, open_database
from storage.models import Fill, Order, Signal

ApprovePolicy = Literal["approve", "reject"]
Progress = Callable[[int, int, date], None]
PERIODS_PER_YEAR = 252


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


@dataclass
class BacktestResult:
    metrics: dict[str, Any]
    benchmark: dict[str, Any]
    trades: list[dict[str, Any]]
    equity: list[dict[str, Any]]
    retrainings: int = 0
    sessions: int = 0
    events: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "metrics": self.metrics,
            "benchmark": self.benchmark,
            "trades": self.trades,
            "equity": self.equity,
            "retrainings": self.retrainings,
            "sessions": self.sessions,
        }


class WalkForwardPredictor:
    """Retrains every `retrain_every` sessions on the rolling window before the session
    and predicts the window ahead in one batch."""

    def __init__(
        self,
        samples: Samples,
        atr: Mapping[tuple[pd.Timestamp, str], float],
        config: BacktestConfig,
        explain_from: float,
    ) -> None:
        self.samples = samples
        self.config = config
        self.explain_from = explain_from
        self.served = PrecomputedPredictor({}, atr)
        self._atr = atr
        self.retrainings = 0

    def retrain(self, day: pd.Timestamp, until: pd.Timestamp) -> None:
        stamps = self.samples.timestamps
        days = pd.DatetimeIndex(stamps.unique()).sort_values()
        position = days.searchsorted(day)
        # Labels look `horizon` sessions ahead: the newest usable row is that far back.
        last_labelled = days[max(position - self.samples.horizon, 0)]
        window_start = day - pd.Timedelta(days=int(365.25 * self.config.train_years))
        mask = (
            (stamps >= window_start)
            & (stamps < last_labelled)
            & self.samples.index["label"].notna().to_numpy()
        )
        train = self.samples.subset(mask)
        if len(train) > self.config.max_train_samples:
            train = train.subset(
                np.arange(len(train)) >= len(train) - self.config.max_train_samples
            )
        ensemble = Ensemble(create_models(self.config.models, seed=self.config.seed))
        ensemble.fit(train)
        ahead = self.samples.subset((stamps >= day) & (stamps < until))
        predictions = ensemble.predictions(
            ahead, model_run_id=f"bt-{day:%Y%m%d}", explain_from=self.explain_from
        )
        for prediction, stamp in zip(predictions, ahead.timestamps, strict=True):
            self.served.add(stamp, prediction)
        self.retrainings += 1

    def predict(
        self, symbols: Sequence[str], now: datetime, explain_from: float
    ) -> PredictionBatch:
        return self.served.predict(symbols, now, explain_from)


def atr_table(history: Mapping[str, pd.DataFrame]) -> dict[tuple[pd.Timestamp, str], float]:
    table = {}
    for symbol, frame in history.items():
        values = talib.ATR(
            frame["high"].to_numpy(float),
            frame["low"].to_numpy(float),
            frame["close"].to_numpy(float),
            14,
        )
        for stamp, value in zip(frame.index, values, strict=True):
            if math.isfinite(value):
                table[(stamp, symbol)] = float(value)
    return table


def _services(
    settings: Settings,
    history: Mapping[str, pd.DataFrame],
    clock: SimulatedClock,
    calendar: ExchangeCalendar,
    runtime: RuntimeSettings,
) -> Services:
    market = ReplayMarket(history, clock=clock, calendar=calendar, name="replay")
    paper = settings.trading.model_copy(
        update={"broker": settings.trading.broker.model_copy(update={"kind": "paper"})}
    )
    broker = build_broker(
        settings.model_copy(update={"trading": paper}),
        clock=clock,
        calendar=calendar,
        market=market,
        fill_policy="next_open",
    )
    bus = EventBus(history=50)
    orders = OrderManager(broker, clock=clock, publish=bus.publish)
    orders.healthy = True  # a fresh paper exchange has nothing to reconcile
    return Services(
        settings=settings,
        clock=clock,
        calendar=calendar,
        data=market,
        broker=broker,
        orders=orders,
        bus=bus,
        runtime=RuntimeHolder(runtime),
        models=ModelHolder(),
        # Replay decides at the close and fills at the next open.
        market_is_open=lambda: True,
        mode_label="backtest",
    )


def run_backtest(
    settings: Settings,
    history: Mapping[str, pd.DataFrame],
    config: BacktestConfig,
    *,
    predictor: Predictor | None = None,
    progress: Progress | None = None,
    workdir: Path | None = None,
) -> BacktestResult:
    """Replay `history` (daily bars per symbol) from `config.start` to `config.end`."""
    calendar = get_calendar()
    sessions = calendar.sessions(config.start, config.end)
    if not sessions:
        raise ValueError(f"no exchange sessions between {config.start} and {config.end}")
    runtime = config.runtime or settings.trading.runtime
    runtime = RuntimeSettings.model_validate({**runtime.model_dump(), "symbols": list(history)})
    with tempfile.TemporaryDirectory(dir=workdir) as folder:
        open_database(Path(folder) / "backtest.db")
        try:
            clock = SimulatedClock(calendar.session_open(sessions[0]))
            services = _services(settings, history, clock, calendar, runtime)
            walk: WalkForwardPredictor | None = None
            if predictor is None:
                samples = build_samples(
                    history,
                    lookback=settings.trading.ml.lookback,
                    horizon=settings.trading.ml.horizon,
                )
                walk = WalkForwardPredictor(
                    samples, atr_table(history), config, runtime.min_confidence
                )
                predictor = walk
            _replay(services, history, sessions, config, predictor, walk, progress)
            result = _collect(services, history, sessions, settings)
        finally:
            close_database()
    result.retrainings = walk.retrainings if walk else 0
    result.sessions = len(sessions)
    return result


def _replay(
    services: Services,
    history: Mapping[str, pd.DataFrame],
    sessions: list[date],
    config: BacktestConfig,
    predictor: Predictor,
    walk: WalkForwardPredictor | None,
    progress: Progress | None,
) -> None:
    clock, broker = services.clock, services.broker
    if not isinstance(clock, SimulatedClock) or not isinstance(broker, PaperBroker):
        raise TypeError("a replay needs a simulated clock and the paper broker")
    calendar = services.calendar
    for number, day in enumerate(sessions):
        stamp = pd.Timestamp(day, tz=UTC)
        clock.set(calendar.session_open(day))
        bars = {s: f.loc[stamp] for s, f in history.items() if stamp in f.index}
        for symbol, bar in bars.items():
            broker.on_bar(symbol, bar, clock.now())
        services.orders.track()
        watch.check_daily_loss(services)
        exits = watch.watch_stops(services, bars=bars)
        if exits:
            for symbol in {e.symbol for e in exits}:
                broker.on_bar(symbol, bars[symbol], clock.now())
            services.orders.track()
        clock.set(calendar.session_close(day))
        if walk is not None and number % config.retrain_every == 0:
            until = sessions[min(number + config.retrain_every, len(sessions) - 1)]
            walk.retrain(stamp, pd.Timestamp(until, tz=UTC) + pd.Timedelta(days=1))
        served = walk.served if walk is not None else predictor
        if isinstance(served, PrecomputedPredictor):
            served.bar_time = stamp
        report = run_cycle(services, predictor)
        for outcome in report.outcomes:
            if outcome.action == "ask" and outcome.signal_id:
                decide = approval.approve if config.approve_policy == "approve" else approval.reject
                decide(services, outcome.signal_id, f"backtest:{config.approve_policy}")
        watch.expire_signals(services)
        watch.check_daily_loss(services)
        watch.snapshot_equity(services)
        if progress:
            progress(number + 1, len(sessions), day)


# -- results -------------------------------------------------------------------------


def _exit_reason(client_order_id: str) -> str:
    if client_order_id.startswith("sb-stop-"):
        return "stop"
    if client_order_id.startswith("sb-flat-"):
        return "flatten"
    return "signal"


def round_trips(last_prices: Mapping[str, float], end: datetime) -> list[dict[str, Any]]:
    """Pair buys with later sells per symbol, first in first out."""
    trades = []
    lots: dict[str, list[dict[str, Any]]] = {}
    fills = Fill.select(Fill, Order).join(Order).order_by(Fill.filled_at, Fill.id)
    for fill in fills:
        order = fill.order
        if fill.side == "buy":
            signal = Signal.get_or_none(Signal.id == order.signal_id) if order.signal_id else None
            lots.setdefault(fill.symbol, []).append(
                {
                    "qty": fill.quantity,
                    "price": fill.price,
                    "time": fill.filled_at,
                    "commission": fill.commission,
                    "stop": signal.stop_price if signal else None,
                }
            )
            continue
        remaining = fill.quantity
        for lot in list(lots.get(fill.symbol, [])):
            if remaining <= 0:
                break
            qty = min(lot["qty"], remaining)
            share = qty / lot["qty"]
            pnl = (
                qty * (fill.price - lot["price"])
                - lot["commission"] * share
                - fill.commission * qty / fill.quantity
            )
            trades.append(
                {
                    "symbol": fill.symbol,
                    "side": "long",
                    "qty": qty,
                    "entry_time": lot["time"].isoformat(),
                    "entry_price": lot["price"],
                    "exit_time": fill.filled_at.isoformat(),
                    "exit_price": fill.price,
                    "stop_at_entry": lot["stop"],
                    "pnl": pnl,
                    "exit_reason": _exit_reason(order.client_order_id),
                }
            )
            lot["commission"] *= 1 - share
            lot["qty"] -= qty
            remaining -= qty
            if lot["qty"] <= 1e-9:
                lots[fill.symbol].remove(lot)
    for symbol, open_lots in lots.items():
        for lot in open_lots:
            price = last_prices.get(symbol, lot["price"])
            trades.append(
                {
                    "symbol": symbol,
                    "side": "long",
                    "qty": lot["qty"],
                    "entry_time": lot["time"].isoformat(),
                    "entry_price": lot["price"],
                    "exit_time": end.isoformat(),
                    "exit_price": price,
                    "stop_at_entry": lot["stop"],
                    "pnl": lot["qty"] * (price - lot["price"]) - lot["commission"],
                    "exit_reason": "open at end",
                }
            )
    return trades


def performance(values: Sequence[float], sessions: int) -> dict[str, float | None]:
    returns = period_returns(values)
    years = max(sessions, 1) / PERIODS_PER_YEAR
    total = values[-1] / values[0] - 1.0 if values and values[0] else 0.0
    return {
        "total_return": total,
        "cagr": (1 + total) ** (1 / years) - 1 if total > -1 else -1.0,
        "sharpe": sharpe(returns),
        "sortino": sortino(returns),
        "max_drawdown": max_drawdown(values),
    }


def _collect(
    services: Services,
    history: Mapping[str, pd.DataFrame],
    sessions: list[date],
    settings: Settings,
) -> BacktestResult:
    snapshots = stored_equity.curve()
    values = [settings.trading.initial_capital] + [s.equity for s in snapshots]
    last = pd.Timestamp(sessions[-1], tz=UTC)
    last_prices = {
        s: float(f["close"].loc[:last].iloc[-1]) for s, f in history.items() if len(f.loc[:last])
    }
    trades = round_trips(last_prices, services.clock.now())
    pnls = [t["pnl"] for t in trades]
    fills = list(Fill.select())
    notional = sum(f.quantity * f.price for f in fills)
    commissions = sum(f.commission for f in fills)
    slippage = sum(f.quantity * f.price for f in fills) * (
        settings.trading.broker.slippage_bps / 10_000.0
    )
    mean_equity = float(np.mean(values)) if values else 0.0
    exposure = [(s.equity - s.cash) / s.equity for s in snapshots if s.equity > 0]
    metrics = {
        **performance(values, len(sessions)),
        "win_rate": win_rate(pnls),
        "profit_factor": profit_factor(pnls),
        "trades": len(trades),
        "exposure": float(np.mean(exposure)) if exposure else 0.0,
        "turnover": notional / mean_equity if mean_equity else 0.0,
        "costs": commissions + slippage,
        "final_equity": values[-1],
        "signals": Signal.select().count(),
        "orders_failed": Order.select().where(Order.status == OrderStatus.FAILED.value).count(),
    }
    benchmark_series = buy_and_hold(history, sessions, settings.trading.initial_capital)
    benchmark = {
        **performance(list(benchmark_series.to_numpy()), len(sessions)),
        "final_equity": float(benchmark_series.iloc[-1]),
        "equity": [
            {"date": d.date().isoformat(), "equity": float(v)} for d, v in benchmark_series.items()
        ],
    }
    equity_rows = [
        {"date": s.timestamp.date().isoformat(), "equity": s.equity, "cash": s.cash}
        for s in snapshots
    ]
    return BacktestResult(metrics=metrics, benchmark=benchmark, trades=trades, equity=equity_rows)


def plot_result(result: BacktestResult, path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.plot(
        pd.to_datetime([r["date"] for r in result.equity]),
        [r["equity"] for r in result.equity],
        label="stockbot",
    )
    bench = result.benchmark["equity"]
    ax.plot(
        pd.to_datetime([r["date"] for r in bench]),
        [r["equity"] for r in bench],
        label="buy and hold",
        alpha=0.8,
    )
    ax.set(title=title, ylabel="equity ($)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_json(result: BacktestResult, path: Path) -> None:
    path.write_text(json.dumps(result.to_json(), indent=2, default=str), encoding="utf-8")


def history_start(config: BacktestConfig) -> datetime:
    """Bars needed before `start`: the training window plus the features' warm-up."""
    days = int(365.25 * config.train_years) + 500
    return datetime.combine(config.start - timedelta(days=days), datetime.min.time(), tzinfo=UTC)
