"""`stockbot train` and `stockbot evaluate`: the ML pipeline from the command line."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

from tqdm import tqdm

from core.app.cli.common import (
    UsageError,
    add_data_arguments,
    date_range,
    load_valid_bars,
    make_provider,
    parse_symbols,
    run_guarded,
)
from core.base.settings import Settings
from ml.dataset import build_samples
from ml.evaluation import feature_importance_plot, reliability_diagram
from ml.models import MODEL_NAMES
from ml.registry import save_run, set_current
from ml.training import (
    ALWAYS_UP,
    ENSEMBLE,
    MOMENTUM_BASELINE,
    EvaluationReport,
    WalkForwardConfig,
    train_run,
    walk_forward_evaluate,
)
from storage.database import close_database, open_database
from storage.models import ModelRun


def register(subparsers: argparse._SubParsersAction) -> None:
    train = subparsers.add_parser("train", help="train the ensemble; it becomes the current model")
    add_data_arguments(train)
    _add_model_arguments(train)
    train.add_argument(
        "--folds",
        type=int,
        default=3,
        help="walk-forward folds for the OOS figures (0: none; default 3)",
    )
    train.set_defaults(handler=handle_train)
    evaluate = subparsers.add_parser("evaluate", help="walk-forward out-of-sample evaluation")
    add_data_arguments(evaluate)
    _add_model_arguments(evaluate)
    evaluate.add_argument("--folds", type=int, help="newest N folds only (default: all)")
    evaluate.add_argument("--json", type=Path, help="write metrics and folds as JSON here")
    evaluate.add_argument("--plots", type=Path, help="write reliability and importance PNGs here")
    evaluate.set_defaults(handler=handle_evaluate)


def _add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--models", help=f"comma-separated from {','.join(MODEL_NAMES)} (default: ml.models)"
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")


def _models(args: argparse.Namespace, settings: Settings) -> list[str]:
    if not args.models:
        return list(settings.trading.ml.models)
    names = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in names if m not in MODEL_NAMES]
    if unknown or not names:
        raise UsageError(
            f"--models: {unknown or names!r} not allowed; choose from {','.join(MODEL_NAMES)}"
        )
    return names


class _FoldBars:
    """One progress bar per fold (and one for the final fit), naming the model at work."""

    def __init__(self) -> None:
        self._bars: dict[str, tqdm] = {}

    def __call__(self, stage: str, model: str, status: str) -> None:
        bar = self._bars.get(stage)
        if bar is None:
            for other in self._bars.values():
                other.close()
            bar = self._bars[stage] = tqdm(desc=stage, unit="step", leave=True)
        bar.set_postfix_str(f"{model}: {status}", refresh=False)
        bar.update(1)

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()


def format_metrics(report_metrics: dict[str, dict]) -> str:
    order = [n for n in report_metrics if n not in (ENSEMBLE, ALWAYS_UP, MOMENTUM_BASELINE)]
    order += [ENSEMBLE, ALWAYS_UP, MOMENTUM_BASELINE]
    lines = [
        f"{'model':<18} {'accuracy':>8} {'auc':>6} {'brier':>7} {'logloss':>8} {'ece':>6} {'n':>7}"
    ]
    for name in order:
        m = report_metrics.get(name)
        if m is None:
            continue
        auc = f"{m['auc']:.3f}" if m["auc"] is not None else "  -  "
        lines.append(
            f"{name:<18} {m['accuracy']:8.3f} {auc:>6} {m['brier']:7.4f} "
            f"{m['log_loss']:8.4f} {m['ece']:6.3f} {m['n']:7d}"
        )
    return "\n".join(lines)


def handle_train(args: argparse.Namespace) -> int:
    def body(settings: Settings) -> int:
        if args.folds < 0:
            raise UsageError("--folds must be 0 or more")
        names = _models(args, settings)
        symbols = parse_symbols(args.symbols)
        start, end = date_range(args, settings)
        bars = load_valid_bars(make_provider(args, settings), symbols, start, end)
        ml = settings.trading.ml
        progress = _FoldBars()
        try:
            result = train_run(
                bars,
                names,
                lookback=ml.lookback,
                horizon=ml.horizon,
                seed=args.seed,
                evaluation=WalkForwardConfig(max_folds=args.folds) if args.folds else None,
                on_progress=progress,
            )
        finally:
            progress.close()
        folder = save_run(settings.models_dir, result.run_id, result.ensemble, result.manifest)
        set_current(settings.models_dir, result.run_id)
        open_database(settings.database_path)
        try:
            ModelRun.create(
                run_id=result.run_id,
                created_at=datetime.now(UTC),
                path=str(folder),
                metrics=result.manifest["oos_metrics"],
                is_current=True,
            )
            ModelRun.update(is_current=False).where(ModelRun.run_id != result.run_id).execute()
        finally:
            close_database()
        print(f"run {result.run_id} saved to {folder} and made current")
        print(
            f"models {', '.join(names)}; weights "
            + ", ".join(f"{k} {v:.2f}" for k, v in result.ensemble.weights.items())
        )
        if result.report is not None:
            print(format_metrics(result.report.metrics))
        return 0

    return run_guarded(args, body)


def _write_plots(report: EvaluationReport, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    curves = {
        name: (report.labels, p) for name, p in report.probabilities.items() if name != ALWAYS_UP
    }
    written = [reliability_diagram(folder / "reliability.png", curves)]
    if report.importance:
        written.append(
            feature_importance_plot(folder / "feature_importance.png", report.importance)
        )
    return written


def handle_evaluate(args: argparse.Namespace) -> int:
    def body(settings: Settings) -> int:
        if args.folds is not None and args.folds < 1:
            raise UsageError("--folds must be 1 or more")
        names = _models(args, settings)
        symbols = parse_symbols(args.symbols)
        start, end = date_range(args, settings)
        bars = load_valid_bars(make_provider(args, settings), symbols, start, end)
        ml = settings.trading.ml
        samples = build_samples(bars, lookback=ml.lookback, horizon=ml.horizon)
        progress = _FoldBars()
        try:
            report = walk_forward_evaluate(
                samples,
                names,
                seed=args.seed,
                config=WalkForwardConfig(max_folds=args.folds),
                on_progress=progress,
            )
        finally:
            progress.close()
        print(
            f"{len(report.folds)} folds, {report.folds[0].test_start.date()} .. "
            f"{report.folds[-1].test_end.date()}, symbols {', '.join(bars)}"
        )
        print(format_metrics(report.metrics))
        if args.json:
            args.json.write_text(json.dumps(report.to_json(), indent=2), encoding="utf-8")
        if args.plots:
            for path in _write_plots(report, args.plots):
                print(f"wrote {path}")
        return 0

    return run_guarded(args, body)
