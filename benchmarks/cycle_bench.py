"""One live cycle for 100 symbols with the LSTM in the ensemble: p50/p90 milliseconds over
cycles after warm-up, and where the time goes (cProfile).

The real code path: the agent `build_agent` composes (its `LivePredictor` with the
per-symbol feature cache, the paper broker, SQLite), on the simulated market, driven
by a simulated clock one session per cycle — so every cycle, as live, has one new bar
per symbol. The model is the demo's quick one (LightGBM, momentum and the LSTM),
trained first on ten simulated symbols. Thresholds are set so no signal is acted on:
the figure is the cycle, not order handling.

Everything runs in a child process: a fresh interpreter whose TensorFlow thread pools
can still be configured (`--tf-threads 1` sets TF_NUM_INTRAOP/INTEROP_THREADS before
TensorFlow loads; the live agent today runs with TensorFlow's defaults), and whose
database is its own.

Run: .venv/bin/python -m benchmarks.cycle_bench [--symbols 100] [--cycles 20]
     [--tf-threads 1] [--models DIR (reuse the trained model; trained into DIR if empty)]
`run(symbols, cycles)` returns the figures (engine_bench prints them beside others).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.base.calendar import ExchangeCalendar
    from core.base.settings import RuntimeSettings

ROOT = Path(__file__).resolve().parents[1]
GOAL_MS = 100.0
WARM_UP = 3
PROFILED = 10
TRAIN_SYMBOLS = 10
TRAINED_UNTIL = date(2024, 6, 28)
FIRST_CYCLE = date(2024, 7, 8)

# Where the time goes: (label, file suffix, function), cumulative per cycle.
PARTS = (
    ("whole cycle", "core/agent/pipeline.py", "run_cycle"),
    ("  predictor", "core/agent/predictor.py", "predict"),
    ("    bars from the provider", "core/data/replay.py", "get_bars"),
    ("    cache: new bars, validation, features", "core/agent/predictor.py", "_refresh"),
    ("      validate new bars", "core/data/validation.py", "validate_new_bars"),
    ("      extend features", "ml/feature_cache.py", "extend"),
    ("    samples from the cache", "ml/feature_cache.py", "samples"),
    # The path before the cache (issue 17), when measured on an older checkout:
    ("    validation, whole history", "core/data/validation.py", "validate_bars"),
    ("    features and samples, whole history", "ml/dataset.py", "build_samples"),
    ("    ATR, a separate TA-Lib pass", "core/agent/predictor.py", "last_atr"),
    ("    ensemble", "ml/ensemble.py", "predictions"),
    ("      LSTM", "ml/models/lstm.py", "predict_proba"),
    ("      LightGBM", "ml/models/gbm.py", "predict_proba"),
    ("  save predictions", "storage/predictions.py", "save_predictions"),
    ("  gate view (account, state)", "core/agent/gate.py", "read_gate_view"),
    ("daily loss check", "core/agent/jobs/daily_loss.py", "check_daily_loss"),
)


def run(
    symbols: int = 100,
    cycles: int = 20,
    tf_threads: int | None = None,
    models: Path | None = None,
    echo: bool = False,
) -> dict[str, float]:
    """Train the quick model and measure `cycles` cycles of `symbols` symbols in a child
    process; {"cycle_p50_ms", "cycle_p90_ms", "cycle_first_ms", "cycles", "symbols"}.
    `tf_threads`: TensorFlow's pool sizes (None: its defaults, as the live agent).
    `models`: a folder to reuse the trained model from (trained into it when empty)."""
    command = [sys.executable, "-m", "benchmarks.cycle_bench", "--child"]
    command += ["--symbols", str(symbols), "--cycles", str(cycles)]
    if tf_threads is not None:
        command += ["--tf-threads", str(tf_threads)]
    if models is not None:
        command += ["--models", str(models)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    figures: dict[str, float] = {}
    for line in result.stdout.splitlines():
        if echo and not line.startswith("figure "):
            print(line)
        if line.startswith("figure "):
            key, value = line.removeprefix("figure ").split("=")
            figures[key] = float(value)
    return figures


def child(symbols: int, cycles: int, tf_threads: int | None, models: Path | None) -> None:
    """The measurement itself (runs in the child process)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if tf_threads is not None:
        os.environ["TF_NUM_INTRAOP_THREADS"] = os.environ["TF_NUM_INTEROP_THREADS"] = str(
            tf_threads
        )
    import numpy as np

    from core.app.composition import build_agent
    from core.app.demo import train_quick_model
    from core.base.calendar import get_calendar
    from core.base.clock import SimulatedClock
    from core.base.settings import Settings, TradingConfig, load_env_settings
    from core.data.simulated import SimulatedMarket

    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        env = load_env_settings(None).model_copy(
            update={"stockbot_home": home, "stockbot_data_provider": "sim"}
        )
        names = tuple(f"S{i:03d}" for i in range(symbols))
        settings = Settings(env=env, trading=TradingConfig(runtime=quiet_runtime(names)))
        if models is not None and models.is_dir() and any(models.iterdir()):
            shutil.copytree(models, settings.models_dir)
            print(f"the quick model (LSTM, LightGBM, momentum) from {models}")
        else:
            began = time.perf_counter()
            trainer = SimulatedMarket(clock=SimulatedClock(datetime(2024, 7, 1, tzinfo=UTC)))
            train_quick_model(settings, trainer, names[:TRAIN_SYMBOLS], TRAINED_UNTIL, lstm=True)
            print(f"trained the quick model (LSTM, LightGBM, momentum) in {elapsed(began)}")
            if models is not None:
                shutil.copytree(settings.models_dir, models, dirs_exist_ok=True)

        calendar = get_calendar()
        days = calendar.sessions(FIRST_CYCLE, FIRST_CYCLE + timedelta(days=120))
        needed = WARM_UP + cycles + PROFILED
        if len(days) < needed:
            raise SystemExit(f"{needed} sessions needed after {FIRST_CYCLE}")
        clock = SimulatedClock(decision_time(calendar, days[0]))
        agent = build_agent(settings, clock=clock, data=SimulatedMarket(clock=clock))
        agent.session.start()
        import tensorflow as tf  # already loaded with the model: report its pools

        print(
            "TensorFlow threads: intra-op "
            f"{tf.config.threading.get_intra_op_parallelism_threads() or 'default'}, "
            f"inter-op {tf.config.threading.get_inter_op_parallelism_threads() or 'default'}"
            f" (TF_NUM_INTRAOP_THREADS={os.environ.get('TF_NUM_INTRAOP_THREADS', 'unset')})"
        )

        timings: list[float] = []
        first = outcomes = 0.0
        for number, day in enumerate(days[: WARM_UP + cycles]):
            clock.set(decision_time(calendar, day))
            start = time.perf_counter()
            report = agent.engine.run_cycle_now()
            if number >= WARM_UP:
                timings.append((time.perf_counter() - start) * 1000)
            elif number == 0:
                first = (time.perf_counter() - start) * 1000
            outcomes = float(sum(o.probability_up is not None for o in report.outcomes))
        profile = cProfile.Profile()
        for day in days[WARM_UP + cycles : needed]:
            clock.set(decision_time(calendar, day))
            profile.enable()
            agent.engine.run_cycle_now()
            profile.disable()

    p50, p90 = (float(np.percentile(timings, q)) for q in (50, 90))
    print(f"{symbols} symbols, {outcomes:.0f} predicted per cycle, {cycles} cycles after warm-up")
    print(f"first cycle (every cache empty) {first:7.1f} ms")
    print(f"cycle p50                       {p50:7.1f} ms  (goal ≤ {GOAL_MS:.0f} ms)")
    print(f"cycle p90                       {p90:7.1f} ms")
    print(where_the_time_goes(profile, PROFILED))
    for key, value in {
        "cycle_p50_ms": p50,
        "cycle_p90_ms": p90,
        "cycle_first_ms": first,
        "cycles": cycles,
        "symbols": symbols,
    }.items():
        print(f"figure {key}={value:.3f}")


def quiet_runtime(symbols: tuple[str, ...]) -> RuntimeSettings:
    """Runtime settings under which no signal is acted on: the largest edges over the
    model's typical that a signal must show."""
    from core.base.settings import RuntimeSettings

    return RuntimeSettings(symbols=symbols, min_edge=0.5, auto_edge=0.5)


def decision_time(calendar: ExchangeCalendar, day: date) -> datetime:
    """The default cycle time, a quarter of an hour before the close."""
    return calendar.session_close(day) - timedelta(minutes=15)


def where_the_time_goes(profile: cProfile.Profile, cycles: int) -> str:
    """Selected functions' cumulative milliseconds per cycle, then the top entries."""
    # (file, line, function) → (calls, primitive calls, own s, cumulative s, callers)
    raw: dict[tuple[str, int, str], tuple] = getattr(pstats.Stats(profile), "stats")  # noqa: B009
    lines = ["where the time goes (cProfile, ms per cycle; profiling inflates Python calls):"]
    whole = None
    for label, suffix, function in PARTS:
        found = [v for (f, _, name), v in raw.items() if f.endswith(suffix) and name == function]
        if not found:
            continue
        ms = sum(v[3] for v in found) / cycles * 1000
        whole = whole or ms
        lines.append(f"  {label:<45} {ms:7.1f}  {ms / whole:6.1%}")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(15)
    top = [line for line in out.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(top) if line.lstrip().startswith("ncalls"))
    lines.append(f"top entries by own time, {cycles} profiled cycles:")
    lines += ["  " + line.replace(str(ROOT) + "/", "") for line in top[start:]]
    return "\n".join(lines)


def elapsed(began: float) -> str:
    return f"{time.perf_counter() - began:.0f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=100)
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument(
        "--tf-threads", type=int, default=None, help="TensorFlow pool sizes (default: its own)"
    )
    parser.add_argument(
        "--models", type=Path, default=None, help="reuse (or keep) the trained model here"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cycles < 20:
        parser.error("at least 20 cycles after warm-up")
    if args.child:
        child(args.symbols, args.cycles, args.tf_threads, args.models)
        return
    figures = run(args.symbols, args.cycles, args.tf_threads, args.models, echo=True)
    verdict = "met" if figures["cycle_p50_ms"] <= GOAL_MS else "MISSED"
    print(f"p50 {figures['cycle_p50_ms']:.1f} ms: goal ≤ {GOAL_MS:.0f} ms {verdict}")


if __name__ == "__main__":
    main()
