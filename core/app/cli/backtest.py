"""`stockbot backtest`: the pipeline replayed over history with walk-forward retraining."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, time
from pathlib import Path

from tqdm import tqdm

from core.app.cli.common import (
    UsageError,
    add_data_arguments,
    load_valid_bars,
    make_provider,
    parse_day,
    parse_symbols,
    run_guarded,
)
from core.base.settings import Settings
from core.drivers.backtest import (
    BacktestConfig,
    history_start,
    plot_result,
    run_backtest,
    write_json,
)
from ml.models import MODEL_NAMES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "backtest", help="replay the pipeline over history with the paper broker"
    )
    add_data_arguments(parser)
    parser.add_argument(
        "--models",
        default="gbm,rf,momentum",
        help=f"from {','.join(MODEL_NAMES)} (default gbm,rf,momentum)",
    )
    parser.add_argument(
        "--retrain-every",
        type=int,
        default=21,
        help="sessions between retrainings (default 21, about monthly)",
    )
    parser.add_argument(
        "--train-years",
        type=float,
        default=3.0,
        help="rolling training window in years (default 3)",
    )
    parser.add_argument(
        "--approve-policy",
        choices=("approve", "reject"),
        default="approve",
        help="answer to signals that would ask a person (default approve)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="write metrics, benchmark, trades, equity")
    parser.add_argument("--plot", type=Path, help="write the equity chart (PNG)")
    parser.set_defaults(handler=handle_backtest)


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:10.3f}"


def handle_backtest(args: argparse.Namespace) -> int:
    def body(settings: Settings) -> int:
        symbols = parse_symbols(args.symbols)
        start, end = parse_day(args.start, "--start"), parse_day(args.end, "--end")
        if start is None or end is None:
            raise UsageError("--start and --end are required for a backtest")
        if start >= end:
            raise UsageError(f"--start {start} must be before --end {end}")
        if args.retrain_every < 1:
            raise UsageError("--retrain-every must be at least 1")
        models = [m.strip() for m in args.models.split(",") if m.strip()]
        if not models or any(m not in MODEL_NAMES for m in models):
            raise UsageError(f"--models: choose from {','.join(MODEL_NAMES)}")
        config = BacktestConfig(
            symbols=symbols,
            start=start,
            end=end,
            models=models,
            retrain_every=args.retrain_every,
            train_years=args.train_years,
            approve_policy=args.approve_policy,
            seed=args.seed,
        )
        history = load_valid_bars(
            make_provider(args, settings),
            symbols,
            history_start(config),
            datetime.combine(end, time(23, 59), tzinfo=UTC),
        )
        with tqdm(unit="session", desc="backtest") as bar:

            def progress(done: int, total: int, day: date) -> None:
                bar.total = total
                bar.set_postfix_str(str(day), refresh=False)
                bar.update(done - bar.n)

            result = run_backtest(settings, history, config, progress=progress)
        m, b = result.metrics, result.benchmark
        print(
            f"{result.sessions} sessions, {result.retrainings} retrainings, "
            f"{m['trades']} trades, {m['signals']} signals"
        )
        print(f"{'':<14} {'stockbot':>10} {'buy&hold':>10}")
        for key in ("total_return", "cagr", "sharpe", "sortino", "max_drawdown"):
            print(f"{key:<14} {_figure(m.get(key)):>10} {_figure(b.get(key)):>10}")
        print(
            f"win rate {m['win_rate'] or 0:.2f}, profit factor {m['profit_factor'] or 0:.2f}, "
            f"exposure {m['exposure']:.2f}, turnover {m['turnover']:.1f}, "
            f"costs ${m['costs']:,.2f}"
        )
        if args.json:
            write_json(result, args.json)
        if args.plot:
            plot_result(result, args.plot, f"{','.join(symbols)} {start}..{end}")
        return 0

    return run_guarded(args, body)
