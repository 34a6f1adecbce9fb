"""The demo's quick model, graded by the same function as any model, on the simulated
market (whose structure is known).

Trains as `stockbot demo` would, with the same dates (the replay starts 250 sessions
before today; the model trains up to the day before): gbm + momentum on the demo's
eight symbols at predictability 0.8, the plan target, the simulated SPY as market
context, yearly walk-forward folds. Once with 12 years of history (what the demo
should use), once with 3 (what it used), and once on a random walk (predictability 0,
which must not be proven). Prints the figures, the grade and the time taken.
Run: .venv/bin/python -m benchmarks.evaluation_bench
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from core.base.calendar import get_calendar
from core.data.simulated import SimulatedMarket
from ml.training import train_run
from ml.walk_forward import ENSEMBLE, WalkForwardConfig

DEMO_SYMBOLS = ("PLTR", "SPY", "AAPL", "MSFT", "NVDA", "KO", "XOM", "JPM")
REPLAY_SESSIONS_BACK = 250


def training_end() -> datetime:
    calendar = get_calendar()
    today = datetime.now(UTC).date()
    sessions = calendar.sessions(today - timedelta(days=int(REPLAY_SESSIONS_BACK * 1.6)), today)
    until = sessions[-REPLAY_SESSIONS_BACK] - timedelta(days=1)
    return datetime.combine(until, datetime.min.time(), tzinfo=UTC)


def run(label: str, predictability: float, years: float) -> None:
    market = SimulatedMarket(predictability=predictability)
    end = training_end()
    bars = market.get_bars(DEMO_SYMBOLS, end - timedelta(days=int(365.25 * years)), end)
    began = time.perf_counter()
    result = train_run(
        bars, ["gbm", "momentum"], context=bars["SPY"], evaluation=WalkForwardConfig()
    )
    seconds = time.perf_counter() - began
    report = result.report
    if report is None:
        print(f"{label}: trained in {seconds:.1f} s; {result.grade.summary}")
        print(f"    {result.grade.criteria[0].explanation}")
        return
    metrics, ci = report.metrics[ENSEMBLE], report.intervals[ENSEMBLE]
    trades, every = report.trades[ENSEMBLE], report.trades["all_trades"]
    print(
        f"{label}: {len(report.record.folds)} yearly folds "
        f"{report.record.folds[0].test_start.date()} .. {report.record.folds[-1].test_end.date()}, "
        f"{metrics['n']} OOS trades, trained in {seconds:.1f} s"
    )
    print(
        f"  ensemble AUC {ci['auc']}  Brier {metrics['brier']:.4f} "
        f"(gain over the base rate {ci['brier_gain']})  ECE {metrics['ece']:.4f}"
    )
    typical = result.manifest["typical"]
    print(
        f"  selected {trades['trades']} trades, mean R {trades['mean_r']:+.3f} vs every trade "
        f"{every['mean_r']:+.3f}; the plan's base rate {typical['base_rate']:.3f}"
    )
    print(f"  grade: {result.grade.summary}")
    for c in result.grade.criteria:
        print(f"    {c.key} {'pass' if c.passed else 'FAIL'}  {c.explanation}")


def main() -> None:
    print(f"training ends {training_end().date()} (the day before the demo's replay)")
    run("demo, 12 years, predictability 0.8", 0.8, 12)
    run("demo, 3 years, predictability 0.8", 0.8, 3)
    run("random walk, 12 years, predictability 0", 0.0, 12)


if __name__ == "__main__":
    main()
