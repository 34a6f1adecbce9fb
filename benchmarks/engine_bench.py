"""Engine figures side by side, all measured in one run on this machine: start-to-ready
time and resident memory, a 100-symbol live cycle with the LSTM (benchmarks.cycle_bench),
an Approve press → order (benchmarks.telegram_bench), the replay against backtesting.py
and vectorbt on the oracle's fixed signals (benchmarks.replay_bench), and 100 symbols ×
10 years with monthly walk-forward retraining, locally and on a 2-worker LocalCluster
(benchmarks.walk_forward_bench). Each script also runs alone, with more detail.

Run: .venv/bin/python -m benchmarks.engine_bench [--quick]
`--quick` skips the two 100 × 10-year backtests.
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

from benchmarks import cycle_bench, replay_bench, telegram_bench, walk_forward_bench

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


def verdict(value: float, goal: float, lower_is_better: bool = True) -> str:
    met = value <= goal if lower_is_better else value >= goal
    return "met" if met else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--quick", action="store_true", help="skip the 100 × 10-year backtests (~10 min)"
    )
    args = parser.parse_args()
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        light, heavy = Path(folder) / "light", Path(folder) / "heavy"
        train_model(light, ["gbm", "rf", "momentum"])
        train_model(heavy, ["lstm", "gbm", "rf", "momentum"])
        without = agent_run(light, 100, 3)
        with_lstm = agent_run(heavy, 100, 3)
    print(
        f"start-to-ready, no LSTM            {without['ready_s']:6.2f} s  "
        f"(goal ≤ 8 s: {verdict(without['ready_s'], 8)})"
    )
    print(
        f"start-to-ready, LSTM               {with_lstm['ready_s']:6.2f} s  "
        f"(goal ≤ 8 s: {verdict(with_lstm['ready_s'], 8)})"
    )
    print(
        f"resident memory, LSTM              {with_lstm['rss_mb']:6.0f} MB "
        f"(goal ≤ 900 MB: {verdict(with_lstm['rss_mb'], 900)})"
    )
    print(
        f"resident memory, no LSTM           {without['rss_mb']:6.0f} MB "
        f"(goal ≤ 350 MB: {verdict(without['rss_mb'], 350)})"
    )

    cycle = cycle_bench.run(symbols=100, cycles=20)
    print(
        f"cycle, 100 symbols, LSTM, p50      {cycle['cycle_p50_ms']:6.0f} ms "
        f"(p90 {cycle['cycle_p90_ms']:.0f} ms, a new bar each cycle; "
        f"goal ≤ 100 ms: {verdict(cycle['cycle_p50_ms'], 100)})"
    )

    press = telegram_bench.run(presses=40)
    print(
        f"Approve press → order at broker    {press['p50_ms']:6.1f} ms p50 "
        f"(p90 {press['p90_ms']:.1f}; to the approval {press['to_approval_ms']:.1f}, approval "
        f"to submit {press['approval_to_submit_ms']:.1f}, submit {press['submit_ms']:.1f}; "
        f"goal ≤ 25 ms: {verdict(press['p50_ms'], 25)})"
    )

    replay = replay_bench.run()
    ratio = float(replay["ours_per_s"]) / float(replay["backtesting_py_per_s"])
    ceiling = replay.get("vectorbt_per_s")
    print(
        f"replay, fixed signals (oracle)     {replay['ours_per_s']:6.0f} sessions/s vs "
        f"backtesting.py {replay['backtesting_py_per_s']:.0f}/s: ratio {ratio:.2f} "
        f"(goal ≥ 1: {verdict(ratio, 1, False)}); vectorbt's from_signals "
        + (f"{ceiling:.0f}/s" if ceiling is not None else "not installed (bench extra)")
        + f"; {replay['trades']} trades, {replay['stopped']} stopped, identical trades and "
        f"final equity: {replay['identical']}"
    )

    if not args.quick:
        local = walk_forward_bench.run(100, 10, cluster=False)
        print(
            f"backtest 100 symbols × 10 years    {local['wall_s']:6.0f} s  "
            f"(monthly retraining of gbm + rf + momentum in local processes, "
            f"{local['cpu_s']:.0f} s CPU, peak memory {local['peak_mb']} MB here / "
            f"{local['peak_child_mb']} MB largest worker; goal ≤ 120 s: "
            f"{verdict(float(local['wall_s']), 120)})"
        )
        remote = walk_forward_bench.run(100, 10, cluster=True)
        same = remote["fingerprint"] == local["fingerprint"]
        print(
            f"the same on a 2-worker LocalCluster {remote['wall_s']:5.0f} s  "
            f"(identical trades and equity: {same}; final equity "
            f"{remote['final_equity']:,.2f} vs {local['final_equity']:,.2f})"
        )
    print(f"(all measured in this run, {time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
