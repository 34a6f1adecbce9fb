"""Correctness oracle: the same fixed entry and exit signals on a real-shaped series,
fed to this engine and to backtesting.py, give the same trades and final equity — with
protective stops far away (only the signals decide) and close enough to be hit (the
paper exchange's stop orders against backtesting.py's `sl=`)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import ClassVar

import pandas as pd
import pytest
from backtesting import Backtest, Strategy

from core.agent.predictor import PrecomputedPredictor
from core.base.settings import (
    BrokerSettings,
    RuntimeSettings,
    Settings,
    StopSettings,
    TradingConfig,
    TrailingSettings,
    load_env_settings,
)
from core.base.types import ModelPrediction, TradingMode
from core.data.simulated import SimulatedMarket
from core.drivers.backtest import BacktestConfig, run_backtest

START, END = date(2022, 1, 3), date(2023, 12, 29)
ENTRIES = set(range(5, 480, 40))  # session numbers with an "up" call
EXITS = {n + 17 for n in ENTRIES}  # ... and a "down" call 17 sessions later


def series() -> pd.DataFrame:
    """A simulated series whose sessions open at the previous close: then the planned
    stop kept from the fill (fill − planned risk) is the stop backtesting.py is given at
    the decision (close × (1 − percent)), and both engines can be compared to the cent."""
    market = SimulatedMarket(seed=11, predictability=0.0)
    frame = market.get_bars(
        ["ORCL"], datetime(2021, 1, 1, tzinfo=UTC), datetime(2023, 12, 29, tzinfo=UTC)
    )["ORCL"].copy()
    frame["open"] = frame["close"].shift(1).fillna(frame["open"])
    frame["high"] = frame[["high", "open", "close"]].max(axis=1)
    frame["low"] = frame[["low", "open", "close"]].min(axis=1)
    return frame


def oracle_settings(stop_percent: float) -> Settings:
    """Sizing reduces to floor(0.1 × equity / close) (the position cap binds); no costs,
    no trailing, limits wide open, so only the signals and the stops decide."""
    runtime = RuntimeSettings(
        mode=TradingMode.AUTO,
        symbols=("ORCL",),
        auto_edge=0.4,
        min_edge=0.1,
        risk_per_trade=0.05,
        max_position_pct=0.1,
        max_order_notional=1e9,
        max_portfolio_risk=1.0,
        daily_loss_limit=0.5,
        price_collar_pct=0.2,
        max_orders_per_day=100,
    )
    trading = TradingConfig(
        runtime=runtime,
        stops=StopSettings(method="percent", percent=stop_percent),
        trailing=TrailingSettings(enabled=False),
        broker=BrokerSettings(slippage_bps=0.0, commission_per_share=0.0),
    )
    return Settings(env=load_env_settings(None), trading=trading)


def fixed_predictions(frame: pd.DataFrame, days: list[date]) -> PrecomputedPredictor:
    predictions = {}
    for number, day in enumerate(days):
        if number in ENTRIES or number in EXITS:
            stamp = pd.Timestamp(day, tz=UTC)
            up = 0.99 if number in ENTRIES else 0.01
            predictions[(stamp, "ORCL")] = ModelPrediction(
                symbol="ORCL", timestamp=stamp.to_pydatetime(), probability_up=up
            )
    return PrecomputedPredictor(predictions, atr={})


class FixedSignals(Strategy):
    entry_days: ClassVar[set[date]] = set()
    exit_days: ClassVar[set[date]] = set()
    stop_percent: ClassVar[float] = 0.5

    def init(self) -> None:
        """Nothing to compute: the entry and exit days are given."""

    def next(self) -> None:
        today = self.data.index[-1].date()
        close = self.data.Close[-1]
        if today in self.entry_days and not self.position:
            # The stop a sell order may carry: whole cents, rounded up (as ours is).
            stop = math.ceil(close * (1 - self.stop_percent) * 100 - 1e-6) / 100
            self.buy(size=math.floor(0.1 * self.equity / close), sl=stop)
        elif today in self.exit_days and self.position:
            self.position.close()


@pytest.mark.parametrize(
    ("stop_percent", "stopped_out"),
    [(0.5, 0), (0.03, 5)],
    ids=["stops-far-away", "stops-hit"],
)
def test_same_trades_and_final_equity_as_backtesting_py(
    tmp_path, stop_percent: float, stopped_out: int
) -> None:
    frame = series()
    test_frame = frame.loc[pd.Timestamp(START, tz=UTC) :]
    days = [ts.date() for ts in test_frame.index]
    predictor = fixed_predictions(frame, days)
    ours = run_backtest(
        oracle_settings(stop_percent),
        {"ORCL": frame},
        BacktestConfig(symbols=["ORCL"], start=START, end=END),
        predictor=predictor,
        workdir=tmp_path,
    )

    data = test_frame.rename(columns=str.capitalize)
    data.index = data.index.tz_localize(None)
    FixedSignals.entry_days = {days[n] for n in ENTRIES}
    FixedSignals.exit_days = {days[n] for n in EXITS}
    FixedSignals.stop_percent = stop_percent
    stats = Backtest(data, FixedSignals, cash=10_000, commission=0.0, finalize_trades=True).run()
    theirs = stats["_trades"]

    closed = [t for t in ours.trades if t.exit_reason in ("signal", "stop")]
    assert len(closed) == len(theirs) == len(ENTRIES)
    assert sum(t.exit_reason == "stop" for t in closed) == stopped_out
    for mine, (_, other) in zip(closed, theirs.iterrows(), strict=True):
        assert mine.qty == other["Size"]
        assert mine.entry_price == pytest.approx(other["EntryPrice"])
        assert mine.exit_price == pytest.approx(other["ExitPrice"])
        assert mine.entry_time[:10] == str(other["EntryTime"].date())
        assert mine.exit_time[:10] == str(other["ExitTime"].date())
        assert mine.pnl == pytest.approx(other["PnL"])
    assert ours.metrics["final_equity"] == pytest.approx(stats["Equity Final [$]"], abs=0.01)
