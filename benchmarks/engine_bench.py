"""Engine figures: cycle latency, replay speed against backtesting.py, a large backtest,
start-to-ready time and resident memory.

Run: .venv/bin/python -m benchmarks.engine_bench [--quick]
`--quick` skips the 100-symbol × 10-year backtest (several minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# A child process that builds the agent from scratch (fresh interpreter, real imports),
# optionally runs cycles, and reports timings and peak memory as key=value lines.
AGENT_SCRIPT = textwrap.dedent("""
    import sys, time
    began = time.perf_counter()
    from datetime import UTC, datetime
    from pathlib import Path
    from core.app.composition import build_agent
    from core.base.clock import SimulatedClock
    from core.data.simulated import SimulatedMarket
    from core.base.settings import RuntimeSettings, Settings, TradingConfig, load_env_settings
    home, symbols, cycles = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    names = tuple(f"S{i:03d}" for i in range(symbols))
    env = load_env_settings(None).model_copy(update={"stockbot_home": home,
                                                      "stockbot_data_provider": "sim"})
    runtime = RuntimeSettings(symbols=names, min_edge=0.49, auto_edge=0.5)
    settings = Settings(env=env, trading=TradingConfig(runtime=runtime))
    clock = SimulatedClock(datetime(2024, 7, 5, 19, 45, tzinfo=UTC))
    agent = build_agent(settings, clock=clock, data=SimulatedMarket(clock=clock),
                        load_model_in_background=True)
    agent.session.start()
    print(f"ready_s={time.perf_counter() - began:.3f}")
    agent.services.models.wait_loaded()
    print(f"model_s={time.perf_counter() - began:.3f}")
    timings = []
    for _ in range(cycles):
        start = time.perf_counter()
        agent.engine.run_cycle_now()
        timings.append((time.perf_counter() - start) * 1000)
    if timings:
        timings.sort()
        print(f"cycle_first_ms={timings[-1]:.1f}")
        print(f"cycle_p50_ms={timings[len(timings) // 2]:.1f}")
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child would report
    # its parent's peak.
    peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
    print(f"rss_mb={int(peak.split()[1]) / 1024:.0f}")
""")


def train_model(home: Path, models: list[str]) -> None:
    from core.app.demo import train_quick_model
    from core.base.clock import SimulatedClock
    from core.base.settings import Settings, TradingConfig, load_env_settings
    from core.data.simulated import SimulatedMarket

    env = load_env_settings(None).model_copy(update={"stockbot_home": home})
    settings = Settings(env=env, trading=TradingConfig())
    clock = SimulatedClock(datetime(2024, 7, 5, tzinfo=UTC))
    market = SimulatedMarket(clock=clock)
    train_quick_model(
        settings, market, [f"S{i:03d}" for i in range(10)], date(2024, 7, 1), lstm="lstm" in models
    )


def agent_run(home: Path, symbols: int, cycles: int) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", AGENT_SCRIPT, str(home), str(symbols), str(cycles)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        k: float(v) for k, v in (line.split("=") for line in result.stdout.split() if "=" in line)
    }


def replay_versus_backtesting_py() -> tuple[float, float]:
    """Sessions per second on the oracle's fixed signals: ours and backtesting.py's."""
    from backtesting import Backtest

    from core.drivers.backtest import BacktestConfig, run_backtest
    from tests.integration.core import test_backtest_oracle as oracle

    frame = oracle.series()
    test_frame = frame.loc[str(oracle.START) :]
    days = [ts.date() for ts in test_frame.index]
    predictor = oracle.fixed_predictions(frame, days)
    began = time.perf_counter()
    run_backtest(
        oracle.oracle_settings(),
        {"ORCL": frame},
        BacktestConfig(symbols=["ORCL"], start=oracle.START, end=oracle.END),
        predictor=predictor,
    )
    ours = len(days) / (time.perf_counter() - began)
    data = test_frame.rename(columns=str.capitalize)
    data.index = data.index.tz_localize(None)
    oracle.FixedSignals.entry_days = {days[n] for n in oracle.ENTRIES}
    oracle.FixedSignals.exit_days = {days[n] for n in oracle.EXITS}
    began = time.perf_counter()
    Backtest(data, oracle.FixedSignals, cash=10_000, commission=0.0, finalize_trades=True).run()
    theirs = len(days) / (time.perf_counter() - began)
    return ours, theirs


def large_backtest() -> float:
    from core.base.settings import Settings, TradingConfig, load_env_settings
    from core.data.simulated import SimulatedMarket
    from core.drivers.backtest import BacktestConfig, history_start, run_backtest

    symbols = [f"B{i:03d}" for i in range(100)]
    config = BacktestConfig(
        symbols=symbols,
        start=date(2014, 1, 2),
        end=date(2023, 12, 29),
        models=("gbm", "rf", "momentum"),
        retrain_every=21,
    )
    history = SimulatedMarket().get_bars(
        symbols, history_start(config), datetime(2023, 12, 29, tzinfo=UTC)
    )
    settings = Settings(env=load_env_settings(None), trading=TradingConfig())
    began = time.perf_counter()
    result = run_backtest(settings, history, config)
    seconds = time.perf_counter() - began
    print(
        f"  {result.sessions} sessions, {result.retrainings} retrainings, "
        f"{result.metrics['trades']} trades"
    )
    return seconds


def verdict(value: float, goal: float, lower_is_better: bool = True) -> str:
    met = value <= goal if lower_is_better else value >= goal
    return "met" if met else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="skip the 100 × 10-year backtest")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        light, heavy = Path(folder) / "light", Path(folder) / "heavy"
        train_model(light, ["gbm", "rf", "momentum"])
        train_model(heavy, ["lstm", "gbm", "rf", "momentum"])
        without = agent_run(light, 100, 7)
        with_lstm = agent_run(heavy, 100, 7)
    print(
        f"start-to-ready, no LSTM            {without['ready_s']:6.2f} s  "
        f"(goal ≤ 8 s: {verdict(without['ready_s'], 8)})"
    )
    print(
        f"start-to-ready, LSTM               {with_lstm['ready_s']:6.2f} s  "
        f"(goal ≤ 8 s: {verdict(with_lstm['ready_s'], 8)})"
    )
    print(
        f"cycle, 100 symbols, LSTM, p50      {with_lstm['cycle_p50_ms']:6.0f} ms "
        f"(goal ≤ 250 ms: {verdict(with_lstm['cycle_p50_ms'], 250)}; "
        f"slowest {with_lstm['cycle_first_ms']:.0f} ms)"
    )
    print(
        f"resident memory, LSTM              {with_lstm['rss_mb']:6.0f} MB "
        f"(goal ≤ 900 MB: {verdict(with_lstm['rss_mb'], 900)})"
    )
    print(
        f"resident memory, no LSTM           {without['rss_mb']:6.0f} MB "
        f"(goal ≤ 350 MB: {verdict(without['rss_mb'], 350)})"
    )
    ours, theirs = replay_versus_backtesting_py()
    ratio = ours / theirs
    print(
        f"replay speed, same fixed signals   {ours:6.0f} sessions/s vs backtesting.py "
        f"{theirs:.0f}/s: ratio {ratio:.2f} (goal ≥ 1: {verdict(ratio, 1, False)})"
    )
    if not args.quick:
        seconds = large_backtest()
        print(
            f"backtest 100 symbols × 10 years    {seconds:6.0f} s  "
            f"(monthly retraining, no LSTM; goal ≤ 120 s: {verdict(seconds, 120)})"
        )


if __name__ == "__main__":
    main()
