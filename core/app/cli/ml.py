"""`stockbot train` and `stockbot evaluate`: the ML pipeline from the command line.

Both predict the outcome of the plan the bot executes (`--target plan`, the default:
next-open entry, the settings' stop and trailing stop, the time exit, costs); next-day
direction stays available as a diagnostic (`--target direction`). SPY's bars are the
market context (`--context SPY`, the default; `none` leaves it out).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from core.app.cli.common import (
    UsageError,
    date_range,
    load_valid_bars,
    make_provider,
    parse_symbols,
    run_guarded,
)
from core.app.cli.progress import Progress
from core.base.settings import Settings
from ml.controls import (
    CONTROL_MODELS,
    ControlResult,
    positive_control,
    random_walk_control,
    shuffled_control,
)
from ml.dataset import Samples
from ml.grading import Grade
from ml.labels import PlanRules
from ml.models import MODEL_NAMES
from ml.parallel import runner_for, using
from ml.plots import feature_importance_plot, r_by_decile_plot, r_by_year_plot, reliability_diagram
from ml.registry import CONTEXT_KEY, data_fingerprint, save_run, set_current
from ml.report import EvaluationReport, build_report
from ml.sample_build import build_samples_with
from ml.targets import DirectionTarget, PlanTarget, Target
from ml.training import train_run
from ml.walk_forward import (
    BASE_RATE,
    BASELINE_SELECTIONS,
    ENSEMBLE,
    MOMENTUM_BASELINE,
    RANDOM_ENTRIES,
    WalkForwardConfig,
    walk_forward_run,
)

LEDGER = "evaluations.jsonl"
"""Every evaluation's configuration and data fingerprint, one JSON line each: how many
variants have been tried on the same data (the more, the less a good figure means)."""


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


def _context_features(args: argparse.Namespace) -> bool:
    # Parsers that predate the flag (core.app.cli.commands) leave it out: off.
    return bool(getattr(args, "context_features", False))


def _target(args: argparse.Namespace, settings: Settings) -> Target:
    if args.target == "direction":
        return DirectionTarget(horizon=settings.trading.ml.horizon)
    return PlanTarget(PlanRules.from_config(settings.trading))


def _folds(value: int | None, *, allow_zero: bool) -> WalkForwardConfig | None:
    if value is None:
        return WalkForwardConfig()
    if value < 0 or (value == 0 and not allow_zero):
        raise UsageError(f"--folds must be {'0' if allow_zero else '1'} or more")
    return WalkForwardConfig(max_folds=value) if value else None


def _load(
    args: argparse.Namespace, settings: Settings
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame | None]:
    """The symbols' bars and, unless --context none, the context symbol's."""
    symbols = parse_symbols(args.symbols)
    start, end = date_range(args, settings)
    provider = make_provider(args, settings)
    bars = load_valid_bars(provider, symbols, start, end)
    if args.context.lower() == "none":
        return bars, None
    context = parse_symbols(args.context)[0]
    if context in bars:
        return bars, bars[context]
    return bars, load_valid_bars(provider, [context], start, end)[context]


def describe_plan(rules: PlanRules) -> str:
    stops, trailing = rules.stops, rules.trailing
    stop = (
        f"{stops.atr_multiple:g}×ATR({stops.atr_period})"
        if stops.method == "atr"
        else f"{stops.percent:.1%}"
    )
    trail = (
        "no trailing"
        if not trailing.enabled
        else f"trail {trailing.atr_multiple:g}×ATR after +{trailing.activate_at_r:g}R"
        if trailing.method == "atr"
        else f"trail {trailing.percent:.1%} after +{trailing.activate_at_r:g}R"
    )
    return (
        f"entry at the next open, stop {stop}, {trail}, time exit after "
        f"{stops.max_holding_sessions} sessions, slippage {rules.slippage_bps:g} bps each way, "
        f"commission ${rules.commission_per_share:g}/share"
    )


class _FoldProgress:
    """One bar (or line now and then) per walk-forward with the fold count as its total;
    the note names the model at work."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress

    def status(self, stage: str, model: str, status: str) -> None:
        self.progress.update(self.progress.done, f"{stage} {model}: {status}")

    def fold(self, _: object = None) -> None:
        self.progress.update(self.progress.done + 1, self.progress.note)


@contextmanager
def _progress(desc: str, total: int) -> Iterator[_FoldProgress]:
    with Progress(desc, unit="fold", total=total) as progress:
        yield _FoldProgress(progress)


def _fold_count(samples: Samples, config: WalkForwardConfig) -> int:
    return len(config.folds(samples.labelled().timestamps, samples.horizon))


# -- printing ----------------------------------------------------------------------


def _num(value: float | None, spec: str) -> str:
    return format(value, spec) if value is not None else "-"


def _ci(data: Mapping[str, float] | None, spec: str = "+.3f") -> str:
    if not data:
        return "-"
    return f"{data['estimate']:{spec}} [{data['low']:{spec}}, {data['high']:{spec}}]"


def format_metrics(report: EvaluationReport) -> str:
    """Probability figures: members, the ensemble, then the baselines."""
    order = [*report.models, BASE_RATE, MOMENTUM_BASELINE]
    lines = [
        f"{'model':<18} {'AUC [95%]':<24} {'Brier':>7} {'gain vs base rate [95%]':<27} "
        f"{'logloss':>8} {'ECE':>6} {'n':>7}"
    ]
    for name in order:
        m = report.metrics.get(name)
        if m is None:
            continue
        ci = report.intervals.get(name, {})
        auc = _ci(ci["auc"].to_dict()) if "auc" in ci else _num(m["auc"], ".3f")
        gain = _ci(ci["brier_gain"].to_dict(), "+.4f") if "brier_gain" in ci else "-"
        lines.append(
            f"{name:<18} {auc:<24} {m['brier']:7.4f} {gain:<27} "
            f"{m['log_loss']:8.4f} {m['ece']:6.3f} {m['n']:7d}"
        )
    return "\n".join(lines)


def format_trades(report: EvaluationReport) -> str:
    lines = [
        f"{'selection':<18} {'trades':>7} {'share':>6} {'mean R [95%]':<26} "
        f"{'vs all trades [95%]':<26} {'hit':>5}"
    ]
    for name, t in report.trades.items():
        lines.append(
            f"{name:<18} {t['trades']:7d} {t['share_selected']:6.1%} "
            f"{_ci(t.get('mean_r_interval')):<26} {_ci(t.get('vs_all_trades')):<26} "
            f"{_num(t['hit_rate'], '5.3f'):>5}"
        )
    draws = report.random_draws
    if draws:
        lines.append(
            f"{RANDOM_ENTRIES} over {draws['draws']} draws: median mean R "
            f"{draws['median_mean_r']:+.3f} [{draws['low']:+.3f}, {draws['high']:+.3f}]; "
            f"the ensemble's {draws['ensemble_mean_r']:+.3f} beats "
            f"{draws['ensemble_percentile']:.0%} of them"
        )
    return "\n".join(lines)


def format_groups(report: EvaluationReport, key: str, title: str) -> str:
    """Per year or per symbol: the ensemble's and the base rate's probability figures
    and, for the plan target, what the ensemble's trades and all trades earned."""
    groups = report.by_year if key == "year" else report.by_symbol
    probability = groups.get("probability", {})
    trades = groups.get("trades", {})
    header = f"{title:<8} {'n':>6} {'AUC':>6} {'Brier':>7} {'base':>7}"
    lines = [header + (f" {'sel.':>6} {'sel. R':>7} {'all R':>7}" if trades else "")]
    for group, figures in probability.items():
        ens, base = figures[ENSEMBLE], figures[BASE_RATE]
        line = (
            f"{group:<8} {ens['n']:6d} {_num(ens['auc'], '6.3f'):>6} {ens['brier']:7.4f} "
            f"{base['brier']:7.4f}"
        )
        if trades:
            row = trades.get(ENSEMBLE, {}).get(group, {})
            chosen, every = row.get("selected", {}), row.get("all", {})
            line += (
                f" {chosen.get('trades', 0):6d} {_num(chosen.get('mean_r'), '+7.3f'):>7} "
                f"{_num(every.get('mean_r'), '+7.3f'):>7}"
            )
        lines.append(line)
    return "\n".join(lines)


def format_grade(name: str, grade: Grade, *, full: bool) -> str:
    lines = [f"{name}: {grade.summary}"]
    if full:
        for c in grade.criteria:
            value = _num(c.value, ".4f")
            lines.append(
                f"  {c.key} {c.name:<48} {'pass' if c.passed else 'FAIL'}  value {value}; "
                f"needs {c.threshold}\n      {c.explanation}"
            )
    return "\n".join(lines)


def format_control(result: ControlResult) -> str:
    verdict = "PASS" if result.passed else "FAIL"
    return (
        f"{result.name:<30} AUC {_ci(result.auc.to_dict())}  {verdict}  "
        f"({result.expectation}; {result.samples} samples)"
    )


# -- train ---------------------------------------------------------------------------


@contextmanager
def _fits_where_configured(settings: Settings) -> Iterator[None]:
    """Every fit of the command (folds, controls) on the runner the settings choose:
    local processes, or the Dask cluster of STOCKBOT_DASK_SCHEDULER."""
    runner = runner_for(settings)
    print(f"fitting walk-forward folds {runner.describe()}")
    with using(runner):
        yield


def handle_train(args: argparse.Namespace) -> int:
    def body(settings: Settings) -> int:
        with _fits_where_configured(settings):
            return _train(args, settings)

    return run_guarded(args, body)


def _train(args: argparse.Namespace, settings: Settings) -> int:
    evaluation = _folds(args.folds, allow_zero=True)
    names = _models(args, settings)
    bars, context = _load(args, settings)
    target = _target(args, settings)
    ml = settings.trading.ml
    samples = build_samples_with(
        runner_for(),
        bars,
        lookback=ml.lookback,
        target=target,
        context=context,
        context_features=_context_features(args),
    )
    total = 0 if evaluation is None else _fold_count(samples, evaluation)
    with _progress("training (walk-forward, then final)", total + 1) as progress:
        result = train_run(
            bars,
            names,
            lookback=ml.lookback,
            target=target,
            context=context,
            context_features=_context_features(args),
            seed=args.seed,
            evaluation=evaluation,
            on_progress=progress.status,
            on_fold=progress.fold,
            samples=samples,
        )
        progress.fold()
    # The registry's `current` pointer is the one record of which run trades.
    folder = save_run(settings.models_dir, result.run_id, result.ensemble, result.manifest)
    set_current(settings.models_dir, result.run_id)
    print(f"run {result.run_id} saved to {folder} and made current")
    print(
        f"target {result.ensemble.target}; models {', '.join(names)}; weights "
        + ", ".join(f"{k} {v:.2f}" for k, v in result.ensemble.weights.items())
    )
    typical = result.manifest.get("typical")
    if typical:
        print(
            f"the plan over the training history: P(profit) {typical['base_rate']:.3f}, "
            f"mean R {typical['typical_r']:+.3f} ({typical['trades']} trades)"
        )
    if result.report is not None:
        print(format_metrics(result.report))
    print(format_grade("grade", result.grade, full=True))
    return 0


# -- evaluate --------------------------------------------------------------------------


def _variant(args: argparse.Namespace, names: list[str]) -> dict[str, Any]:
    return {
        "target": args.target,
        "models": names,
        "context": args.context.upper(),
        "context_features": _context_features(args),
        "folds": args.folds,
        "seed": args.seed,
    }


def _record_variant(
    settings: Settings, fingerprint: str, variant: dict[str, Any]
) -> tuple[int, Path]:
    """Append this evaluation to the ledger; the number of distinct variants evaluated
    on the same data so far, this one included."""
    path = settings.home / LEDGER
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as ledger:
        entry = {"at": datetime.now(UTC).isoformat(), "data": fingerprint, "variant": variant}
        ledger.write(json.dumps(entry) + "\n")
    seen = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if entry.get("data") == fingerprint:
            seen.add(json.dumps(entry["variant"], sort_keys=True))
    return len(seen), path


def _run_controls(
    args: argparse.Namespace,
    bars: dict[str, pd.DataFrame],
    context: pd.DataFrame | None,
    samples: Samples,
    target: Target,
    config: WalkForwardConfig,
    lookback: int,
) -> list[ControlResult]:
    first = min(f.index[0] for f in bars.values()).to_pydatetime()
    last = max(f.index[-1] for f in bars.values()).to_pydatetime()
    results = []
    with _progress(f"controls ({', '.join(CONTROL_MODELS)})", 3) as progress:
        progress.status("positive", "gbm", "future volatility")
        results.append(
            positive_control(
                bars, context=context, lookback=lookback, config=config, seed=args.seed
            )
        )
        progress.fold()
        progress.status("negative", "gbm", "shuffled labels")
        results.append(shuffled_control(samples, config=config, seed=args.seed))
        progress.fold()
        progress.status("negative", "gbm", "random walk")
        results.append(
            random_walk_control(
                len(bars),
                first,
                last,
                target=target,
                context_features=context is not None and _context_features(args),
                lookback=lookback,
                config=config,
                seed=args.seed,
            )
        )
        progress.fold()
    return results


def _write_plots(report: EvaluationReport, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    record = report.record
    curves = {name: (record.labels, record.probabilities[name]) for name in report.models}
    written = [reliability_diagram(folder / "reliability.png", curves)]
    if record.has_r:
        written.append(
            r_by_decile_plot(
                folder / "r_by_decile.png", report.r_by_decile(), float(record.r.mean())
            )
        )
        written.append(r_by_year_plot(folder / "r_by_year.png", report.r_by_year()))
    if record.importance:
        written.append(
            feature_importance_plot(folder / "feature_importance.png", record.importance)
        )
    return written


def handle_evaluate(args: argparse.Namespace) -> int:
    def body(settings: Settings) -> int:
        with _fits_where_configured(settings):
            return _evaluate(args, settings)

    return run_guarded(args, body)


def _evaluate(args: argparse.Namespace, settings: Settings) -> int:
    config = _folds(args.folds, allow_zero=False) or WalkForwardConfig()
    names = _models(args, settings)
    bars, context = _load(args, settings)
    target = _target(args, settings)
    lookback = settings.trading.ml.lookback
    samples = build_samples_with(
        runner_for(),
        bars,
        lookback=lookback,
        target=target,
        context=context,
        context_features=_context_features(args),
    )
    with _progress("walk-forward", _fold_count(samples, config)) as progress:
        record = walk_forward_run(
            samples,
            names,
            config=config,
            seed=args.seed,
            on_progress=progress.status,
            on_fold=progress.fold,
        )
    report = build_report(record, seed=args.seed)
    controls = (
        []
        if args.no_controls
        else _run_controls(args, bars, context, samples, target, config, lookback)
    )
    with_context = {**bars, **({CONTEXT_KEY: context} if context is not None else {})}
    fingerprint = data_fingerprint(with_context)
    tried, ledger = _record_variant(settings, fingerprint, _variant(args, names))
    baselines = 2 + (len(BASELINE_SELECTIONS) if record.has_r else 0)
    print(
        f"target {target.name}, horizon {target.horizon} sessions"
        + (f": {describe_plan(target.rules)}" if isinstance(target, PlanTarget) else "")
    )
    folds = record.folds
    print(
        f"{len(folds)} folds ({config.as_dict()['blocks']}), tests "
        f"{folds[0].test_start.date()} .. {folds[-1].test_end.date()}, purge "
        f"{record.horizon} + embargo {config.embargo} sessions; {len(record.index)} "
        f"out-of-sample samples; symbols {', '.join(bars)}; market context "
        f"{args.context.upper() if context is not None else 'none'} "
        f"({len(samples.feature_names)} features)"
    )
    print(
        f"variants: {len(report.models)} models graded against {baselines} baselines in this "
        f"run; {tried} variant(s) evaluated on this data so far (ledger {ledger})"
    )
    print("\nProbabilities (out of sample; 95% block-bootstrap intervals, calendar quarters)")
    print(format_metrics(report))
    if record.has_r:
        print("\nTrades each would select (R: profit over planned risk, net of costs)")
        print(format_trades(report))
    print("\nBy year (ensemble; base = the base rate's Brier; sel. = its selected trades)")
    print(format_groups(report, "year", "year"))
    print("\nBy symbol")
    print(format_groups(report, "symbol", "symbol"))
    print("\nGrades (earned autonomy: proven only if every criterion passes)")
    print(format_grade(ENSEMBLE, report.grades[ENSEMBLE], full=True))
    for name in report.models[:-1]:
        print(format_grade(name, report.grades[name], full=False))
    if controls:
        print(f"\nControls (models: {', '.join(CONTROL_MODELS)}; same samples and splits)")
        for result in controls:
            print(format_control(result))
    if args.json:
        payload = {
            "config": {
                "target": target.name,
                "plan": target.rules.as_dict() if isinstance(target, PlanTarget) else None,
                "models": names,
                "context": args.context.upper() if context is not None else None,
                "feature_names": list(samples.feature_names),
                "walk_forward": config.as_dict(),
                "seed": args.seed,
            },
            "variants": {
                "models_graded": len(report.models),
                "baselines": baselines,
                "evaluated_on_this_data": tried,
                "ledger": str(ledger),
            },
            **report.to_json(),
            "controls": {result.name: result.to_dict() for result in controls},
        }
        args.json.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
        print(f"wrote {args.json}")
    if args.plots:
        for path in _write_plots(report, args.plots):
            print(f"wrote {path}")
    return 0
