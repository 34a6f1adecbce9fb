"""Replay speed on the oracle's fixed signals (tests/integration/core/test_backtest_oracle.py):
this engine's replay — the live code path: session lifecycle, gate, order manager,
paper exchange, fill handler, protective stops — against backtesting.py on the same
signals and stops, with vectorbt's vectorised `from_signals` beside them as the ceiling
(`pip install -e '.[bench]'`; skipped when it is not installed).

Each engine runs 5 times; the median wall time is reported (first runs warm caches and
are included in the median's spread, not its value). The replay's trades and final
equity are checked against backtesting.py's before any figure is printed.
Run: .venv/bin/python -m benchmarks.replay_bench
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from datetime import UTC

import pandas as pd

from core.drivers.backtest import BacktestConfig, BacktestResult, run_backtest
from tests.integration.core import test_backtest_oracle as oracle

RUNS = 5
STOP_PERCENT = 0.03
"""Close enough that stops are hit: the exchange's stop orders are part of the work."""


def _median_seconds(work: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(RUNS):
        began = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def run() -> dict[str, float | int | bool | str]:
    from backtesting import Backtest

    frame = oracle.series()
    test_frame = frame.loc[pd.Timestamp(oracle.START, tz=UTC) :]
    days = [ts.date() for ts in test_frame.index]
    predictor = oracle.fixed_predictions(frame, days)
    config = BacktestConfig(symbols=["ORCL"], start=oracle.START, end=oracle.END)
    settings = oracle.oracle_settings(STOP_PERCENT)

    def ours() -> BacktestResult:
        return run_backtest(settings, {"ORCL": frame}, config, predictor=predictor)

    data = test_frame.rename(columns=str.capitalize)
    data.index = data.index.tz_localize(None)
    oracle.FixedSignals.entry_days = {days[n] for n in oracle.ENTRIES}
    oracle.FixedSignals.exit_days = {days[n] for n in oracle.EXITS}
    oracle.FixedSignals.stop_percent = STOP_PERCENT

    def theirs() -> pd.Series:
        return Backtest(
            data, oracle.FixedSignals, cash=10_000, commission=0.0, finalize_trades=True
        ).run()

    our_seconds, our_result = _median_seconds(ours)
    their_seconds, stats = _median_seconds(theirs)
    assert isinstance(our_result, BacktestResult)
    assert isinstance(stats, pd.Series)
    closed = [t for t in our_result.trades if t.exit_reason in ("signal", "stop")]
    identical = len(closed) == len(stats["_trades"]) and math.isclose(
        our_result.metrics["final_equity"], stats["Equity Final [$]"], abs_tol=0.01
    )
    figures: dict[str, float | int | bool | str] = {
        "sessions": len(days),
        "trades": len(closed),
        "stopped": sum(t.exit_reason == "stop" for t in closed),
        "identical": identical,
        "ours_per_s": len(days) / our_seconds,
        "backtesting_py_per_s": len(days) / their_seconds,
    }
    ceiling = _vectorbt(data, days)
    if ceiling is not None:
        figures["vectorbt_per_s"] = len(days) / ceiling
    return figures


def _vectorbt(data: pd.DataFrame, days: list) -> float | None:  # type: ignore[type-arg]
    """vectorbt on the same entry and exit days and stop distance (its fills are at the
    next open as backtesting.py's; sizes and cents differ, so only its speed is used)."""
    try:
        import vectorbt as vbt
    except ImportError:
        return None
    index = data.index
    entries = pd.Series(False, index=index)
    exits = pd.Series(False, index=index)
    entries.iloc[[n + 1 for n in oracle.ENTRIES if n + 1 < len(index)]] = True
    exits.iloc[[n + 1 for n in oracle.EXITS if n + 1 < len(index)]] = True

    def work() -> object:
        return vbt.Portfolio.from_signals(
            data["Close"],
            entries,
            exits,
            price=data["Open"],
            sl_stop=STOP_PERCENT,
            size=0.1,
            size_type="percent",
            init_cash=10_000,
        ).final_value()

    work()  # the first call compiles (numba); a person's second run does not pay it
    seconds, _ = _median_seconds(work)
    return seconds


def main() -> None:
    figures = run()
    print(
        f"oracle set-up: {figures['sessions']} sessions, {figures['trades']} trades "
        f"({figures['stopped']} stopped out); identical trades and final equity: "
        f"{figures['identical']}"
    )
    print(f"  this replay (live code path)   {figures['ours_per_s']:8.0f} sessions/s")
    print(f"  backtesting.py                 {figures['backtesting_py_per_s']:8.0f} sessions/s")
    if "vectorbt_per_s" in figures:
        print(f"  vectorbt from_signals (ceiling){figures['vectorbt_per_s']:8.0f} sessions/s")
    else:
        print("  vectorbt not installed (pip install -e '.[bench]')")
    ratio = float(figures["ours_per_s"]) / float(figures["backtesting_py_per_s"])
    print(f"  ratio to backtesting.py        {ratio:8.2f}  (goal ≥ 1)")


if __name__ == "__main__":
    main()
