"""Training runs: what `stockbot train` (and the scheduler's weekly retrain and the
demo) do — a walk-forward record graded out of sample, then one ensemble fit on all
labelled history: the model that will trade, with its grade in its manifest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ml.dataset import Samples
from ml.ensemble import Ensemble
from ml.evaluation import top_features
from ml.grading import Criterion, Grade
from ml.models import create_models
from ml.models.gbm import GbmModel
from ml.parallel import Runner, runner_for
from ml.registry import build_manifest, new_run_id
from ml.report import EvaluationReport, build_report
from ml.sample_build import build_samples_with
from ml.splits import Fold, SplitError
from ml.targets import PlanTarget, Target
from ml.walk_forward import (
    ENSEMBLE,
    YEARLY,
    FoldStream,
    OnProgress,
    WalkForwardConfig,
    start_walk_forward,
)


def ungraded(reason: str) -> Grade:
    """The grade of a run without an out-of-sample record: not proven, and why."""
    criterion = Criterion(
        "record",
        "walk-forward record",
        None,
        "at least one out-of-sample fold",
        False,
        f"{reason}, so it has proven nothing",
    )
    return Grade(False, (criterion,))


@dataclass
class TrainResult:
    run_id: str
    ensemble: Ensemble
    manifest: dict[str, Any]
    report: EvaluationReport | None
    no_record: str = "trained without a walk-forward record"

    @property
    def grade(self) -> Grade:
        return self.report.grades[ENSEMBLE] if self.report else ungraded(self.no_record)


def _importance(report: EvaluationReport | None, ensemble: Ensemble) -> dict[str, float]:
    """Out-of-sample folds' mean LightGBM gain when evaluated, else the final model's."""
    if report is not None and report.record.importance:
        return report.record.importance
    gbm = next((m for m in ensemble.models if isinstance(m, GbmModel)), None)
    return gbm.feature_importance() if gbm is not None else {}


def train_run(
    bars: Mapping[str, pd.DataFrame],
    model_names: Sequence[str],
    *,
    lookback: int = 60,
    target: Target | None = None,
    context: pd.DataFrame | None = None,
    context_features: bool = False,
    horizon: int | None = None,
    seed: int = 7,
    evaluation: WalkForwardConfig | None = YEARLY,
    on_progress: OnProgress | None = None,
    on_fold: Callable[[Fold], None] | None = None,
    runner: Runner | None = None,
    samples: Samples | None = None,
) -> TrainResult:
    """Walk-forward OOS record and grade (unless `evaluation` is None), then one
    ensemble fit on all labelled history.

    `target` defaults to the plan with the default settings; pass
    `PlanTarget(PlanRules.from_config(settings.trading))` for the owner's plan.
    `context`: SPY's bars over the same dates, or None; the models read its features
    only with `context_features` (off by default: on the real histories they made the
    selected trades worse, not better — README "Models, honestly").
    `horizon` is not used: the target sets it (kept so older callers still run).
    `runner`: where the walk-forward folds are fitted (default `ml.parallel.runner_for()`:
    in this process unless the caller chose otherwise with `ml.parallel.using`).
    `samples`: already built from `bars` with the same options (the plan's labels cost
    about 0.4 s per symbol and decade: a caller that needed them first passes them)."""
    del horizon
    target = target or PlanTarget()
    runner = runner or runner_for()
    if samples is None:
        samples = build_samples_with(
            runner,
            bars,
            lookback=lookback,
            target=target,
            context=context,
            context_features=context_features,
        )
    report = None
    no_record = "trained without a walk-forward record"
    folds: FoldStream | None = None
    if evaluation is not None:
        try:
            # Workers (local processes or a cluster) fit the folds while this process
            # fits the final model; in this process the folds run when collected.
            folds = start_walk_forward(
                samples,
                model_names,
                config=evaluation,
                seed=seed,
                runner=runner,
                on_progress=on_progress,
                on_fold=on_fold,
            )
        except SplitError as error:
            # Too little history to test out of sample: the model may still trade, but
            # it asks before every trade.
            no_record = f"history too short for a walk-forward record ({error})"
    embargo = (evaluation or YEARLY).embargo
    ensemble = Ensemble(create_models(model_names, seed=seed), embargo=embargo)
    progress = (lambda model, status: on_progress("final", model, status)) if on_progress else None
    ensemble.fit(samples, progress)
    if folds is not None:
        report = build_report(folds.collect(), seed=seed)
    run_id = new_run_id()
    result = TrainResult(run_id, ensemble, {}, report, no_record)
    report_json = report.to_json() if report else {}
    result.manifest = build_manifest(
        run_id=run_id,
        ensemble=ensemble,
        bars=bars,
        context=context,
        lookback=lookback,
        metrics=report.metrics_json() if report else {},
        folds=report_json.get("folds", []),
        reliability=report_json.get("reliability", {}),
        importance=dict(top_features(_importance(report, ensemble))),
        grade=result.grade.to_dict(),
        member_grades=(
            {name: g.to_dict() for name, g in report.grades.items() if name != ENSEMBLE}
            if report
            else {}
        ),
        plan=target.rules.as_dict() if isinstance(target, PlanTarget) else None,
        evaluation=evaluation.as_dict() if evaluation else None,
        trades=report_json.get("trades", {}),
    )
    return result
