"""core.drivers.backtest: the live session lifecycle replayed over history with a
simulated clock, the paper exchange working orders against each session's bar, and
walk-forward retraining so no model ever sees its test period.

Modules: `config` (what to run, what comes back), `walk_forward` (the retraining
predictor), `replay` (the sessions, driven through `core.agent.session`), `report`
(trades, metrics, buy-and-hold), `plot` (the equity chart).

Imports: `core.agent` and below.
"""

from core.drivers.backtest.config import BacktestConfig, BacktestResult, TradeRecord, history_start
from core.drivers.backtest.plot import plot_result
from core.drivers.backtest.replay import run_backtest
from core.drivers.backtest.report import write_json

__all__ = [
    "BacktestConfig",
    "BacktestResult",
    "TradeRecord",
    "history_start",
    "plot_result",
    "run_backtest",
    "write_json",
]
