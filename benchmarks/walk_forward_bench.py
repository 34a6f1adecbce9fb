"""A large backtest with monthly walk-forward retraining: wall time, CPU, peak memory,
and whether a Dask cluster gives the same result as this machine.

Run: .venv/bin/python -m benchmarks.walk_forward_bench [--symbols 100] [--years 10]
     [--local-cluster] [--sequential] [--profile FILE]

The simulated market (100 symbols × 10 years by default, plus the training window and the
features' warm-up before the start), gbm + rf + momentum refit every 21 sessions on the
owner's plan target. `--local-cluster` runs the same backtest on a 2-worker
`distributed.LocalCluster` after the local run and prints whether trades and equity are
identical; `--sequential` adds a run with every fit in this process (the speed-up of the
local processes); `--profile` writes cProfile's figures of the local run to FILE and
prints where this process spent its time.

`run(symbols, years, cluster)` is the one measurement, for other scripts to import.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import pstats
import resource
import sys
import time
from contextlib import nullcontext
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

Figures = dict[str, float | int | bool | str]

END = date(2023, 12, 29)
MODELS = ("gbm", "rf", "momentum")
MONTHLY = 21


def peak_memory_mb() -> tuple[float, float]:
    """(this process's peak resident memory, the largest finished child's), in MB.
    VmHWM rather than ru_maxrss for this process: Linux keeps ru_maxrss across exec."""
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("VmHWM"))
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kB on Linux
    return int(line.split()[1]) / 1024, children / 1024


def cpu_seconds() -> float:
    """CPU of this process and of every finished child (workers count once stopped)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def fingerprint(result: Any) -> str:
    """Trades and the equity curve, hashed: equal fingerprints mean the same backtest."""
    payload = json.dumps(
        {"trades": result.to_json()["trades"], "equity": result.equity},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _progress(done: int, total: int, day: date) -> None:
    if done % 250 == 0 or done == total:
        print(f"  replay {done}/{total} sessions ({day})", file=sys.stderr, flush=True)


def run(symbols: int, years: int, cluster: bool, *, jobs: int | None = None) -> Figures:
    """One backtest: `symbols` simulated symbols over `years` years to 2023-12-29, monthly
    retraining of gbm + rf + momentum; on a 2-worker LocalCluster when `cluster`, else in
    local processes (`jobs`: how many; 1 = every fit in this process)."""
    from core.base.settings import Settings, TradingConfig, load_env_settings
    from core.data.simulated import SimulatedMarket
    from core.drivers.backtest import BacktestConfig, history_start, run_backtest
    from ml.parallel import Runner, stop_local_workers, using

    names = [f"B{i:03d}" for i in range(symbols)]
    config = BacktestConfig(
        symbols=names,
        start=date(END.year - years + 1, 1, 2),
        end=END,
        models=MODELS,
        retrain_every=MONTHLY,
    )
    history = SimulatedMarket().get_bars(
        names, history_start(config), datetime.combine(END, datetime.min.time(), tzinfo=UTC)
    )
    env = load_env_settings(None)
    began, cpu = time.perf_counter(), cpu_seconds()
    where = "local processes" if jobs is None else f"{jobs} local process(es)"
    if cluster:
        from distributed import LocalCluster

        local_cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        env = env.model_copy(update={"stockbot_dask_scheduler": local_cluster.scheduler_address})
        where = "a 2-worker LocalCluster"
    settings = Settings(env=env, trading=TradingConfig())
    chosen = using(Runner(jobs=jobs)) if jobs is not None and not cluster else nullcontext()
    try:
        with chosen:
            result = run_backtest(settings, history, config, progress=_progress)
    finally:
        if cluster:
            local_cluster.close()
        # Stopped workers' CPU and memory reach RUSAGE_CHILDREN.
        stop_local_workers()
    seconds = time.perf_counter() - began
    own, children = peak_memory_mb()
    return {
        "where": where,
        "symbols": symbols,
        "years": years,
        "wall_s": round(seconds, 1),
        "cpu_s": round(cpu_seconds() - cpu, 1),
        "sessions": result.sessions,
        "retrainings": result.retrainings,
        "trades": int(result.metrics["trades"]),
        "final_equity": round(float(result.metrics["final_equity"]), 2),
        "peak_mb": round(own),
        "peak_child_mb": round(children),
        "fingerprint": fingerprint(result),
    }


def show(figures: Figures) -> None:
    print(
        f"{figures['symbols']} symbols × {figures['years']} years in {figures['where']}: "
        f"{figures['wall_s']:.0f} s wall, {figures['cpu_s']:.0f} s CPU (all processes), "
        f"{figures['sessions']} sessions, {figures['retrainings']} retrainings, "
        f"{figures['trades']} trades, final equity {figures['final_equity']:,.2f}, "
        f"peak memory {figures['peak_mb']} MB here / {figures['peak_child_mb']} MB largest "
        f"worker (goal ≤ 120 s: {'met' if float(figures['wall_s']) <= 120 else 'MISSED'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--symbols", type=int, default=100)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--local-cluster", action="store_true")
    parser.add_argument("--sequential", action="store_true")
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    local = run(args.symbols, args.years, cluster=False)
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
        pstats.Stats(str(args.profile)).sort_stats("cumulative").print_stats(30)
    show(local)
    if args.sequential:
        alone = run(args.symbols, args.years, cluster=False, jobs=1)
        show(alone)
        speedup = float(alone["wall_s"]) / float(local["wall_s"])
        print(
            f"local processes vs this process alone: {speedup:.2f}× faster; "
            f"identical: {alone['fingerprint'] == local['fingerprint']}"
        )
    if args.local_cluster:
        remote = run(args.symbols, args.years, cluster=True)
        show(remote)
        print(
            "LocalCluster result identical to the local run: "
            f"{remote['fingerprint'] == local['fingerprint']} "
            f"(final equity {remote['final_equity']:,.2f} vs {local['final_equity']:,.2f})"
        )


if __name__ == "__main__":
    main()
