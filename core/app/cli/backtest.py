"""`stockbot backtest`: the pipeline replayed over history with walk-forward retraining."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from core.app.cli.common import (
    UsageError,
    check_output,
    load_valid_bars,
    make_provider,
    parse_day,
    parse_symbols,
    run_guarded,
    wrote,
)
from core.app.cli.progress import Progress
from core.base.settings import MODEL_NAMES, Settings


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1%}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _money(value: float | None) -> str:
    return "-" if value is None else f"${value:,.2f}"


ROWS = (
    ("total return", "total_return", _percent),
    ("CAGR", "cagr", _percent),
    ("Sharpe", "sharpe", _ratio),
    ("Sortino", "sortino", _ratio),
    ("max drawdown", "max_drawdown", _share),
    ("final equity", "final_equity", _money),
)


def profit_factor_text(pnls: Sequence[float]) -> str:
    """Gross profit over gross loss; "∞" when trades won and none lost, "n/a" when
    there is nothing to divide."""
    gains = sum(p for p in pnls if p > 0)
    losses = -sum(p for p in pnls if p < 0)
    if losses > 0:
        return f"{gains / losses:.2f}"
    return "∞ (no losing trade)" if gains > 0 else "n/a (no closed gain or loss)"


def format_summary(
    metrics: Mapping[str, Any],
    benchmark: Mapping[str, Any],
    pnls: Sequence[float],
    *,
    sessions: int,
    retrainings: int,
) -> str:
    lines = [
        f"{sessions:,} sessions, {retrainings:,} retrainings, {metrics['trades']:,} trades, "
        f"{metrics['signals']:,} signals",
        f"{'':<14} {'stockbot':>12} {'buy & hold':>12}",
    ]
    for label, key, shown in ROWS:
        lines.append(f"{label:<14} {shown(metrics.get(key)):>12} {shown(benchmark.get(key)):>12}")
    win_rate = metrics.get("win_rate")
    lines.append(
        f"win rate {'n/a' if win_rate is None else f'{win_rate:.0%}'}, "
        f"profit factor {profit_factor_text(pnls)}, "
        f"exposure {metrics['exposure']:.0%} of equity on average, "
        f"turnover {metrics['turnover']:.1f}× equity, costs {_money(metrics['costs'])}"
    )
    return "\n".join(lines)


def _models(text: str) -> list[str]:
    models = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in models if m not in MODEL_NAMES]
    if not models or unknown:
        shown = f"{', '.join(unknown)} not known; " if unknown else ""
        raise UsageError(f"--models: {shown}choose from {','.join(MODEL_NAMES)}")
    return models


def handle_backtest(args: argparse.Namespace) -> int:
    from core.base.calendar import get_calendar
    from core.drivers.backtest import (
        BacktestConfig,
        history_start,
        plot_result,
        run_backtest,
        write_json,
    )

    def body(settings: Settings) -> int:
        symbols = parse_symbols(args.symbols)
        start, end = parse_day(args.start, "--start"), parse_day(args.end, "--end")
        if start is None or end is None:
            raise UsageError("--start and --end are required for a backtest")
        if start >= end:
            raise UsageError(f"--start {start} must be before --end {end}")
        if not get_calendar().sessions(start, end):
            raise UsageError(f"no exchange sessions between --start {start} and --end {end}")
        if args.retrain_every < 1:
            raise UsageError("--retrain-every must be at least 1")
        if args.train_years <= 0:
            raise UsageError("--train-years must be above 0")
        check_output(args.json, "--json")
        check_output(args.plot, "--plot")
        config = BacktestConfig(
            symbols=symbols,
            start=start,
            end=end,
            models=_models(args.models),
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
        with Progress("backtest", unit="session") as bar:

            def progress(done: int, total: int, day: date) -> None:
                bar.update(done, str(day), total=total)

            result = run_backtest(settings, history, config, progress=progress)
        print(
            format_summary(
                result.metrics,
                result.benchmark,
                [trade.pnl for trade in result.trades],
                sessions=result.sessions,
                retrainings=result.retrainings,
            )
        )
        if args.json:
            write_json(result, args.json)
            wrote(args.json)
        if args.plot:
            plot_result(result, args.plot, f"{','.join(symbols)} {start}..{end}")
            wrote(args.plot)
        return 0

    return run_guarded(args, body)
