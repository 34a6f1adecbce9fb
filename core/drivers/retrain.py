"""Weekly walk-forward retraining, in a separate process so the agent's loop and its
inference never wait on it (the walk-forward folds themselves run where
`ml.parallel.runner_for` says: local processes, or the Dask cluster of
STOCKBOT_DASK_SCHEDULER; the live loop's own cycles never leave this machine).

The new model learns the owner's plan (`PlanTarget` from the trading settings: entry at
the next open, the configured stops, the time exit, costs) and is graded on its
out-of-sample record. It becomes current only if its out-of-sample log loss is no worse
than the current one's; both figures and its grade are reported — a model without a
proven edge may still be the better forecaster, but its trades ask the owner.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pandas as pd

from core.agent.services import Services
from core.base.events import Alert
from core.base.settings import Settings
from ml.labels import PlanRules
from ml.parallel import runner_for, stop_local_workers
from ml.registry import is_proven, load_run, save_run, set_current
from ml.targets import PlanTarget
from ml.training import ENSEMBLE, WalkForwardConfig, train_run
from storage import audit

log = logging.getLogger(__name__)

UNPROVEN = "no proven edge — trades will ask you"
PROVEN = "proven edge — it may trade alone in auto and hybrid modes"


@dataclass(frozen=True)
class RetrainResult:
    run_id: str
    new_log_loss: float | None
    current_log_loss: float | None
    promoted: bool
    proven: bool
    """Whether the new model's out-of-sample record earned it autonomy."""
    grade: str
    """The grade in one line (what passed, what failed)."""


@dataclass(frozen=True)
class _Trained:
    """What the training process sends back (small: the run itself is on disk)."""

    run_id: str
    log_loss: float | None
    grade: dict[str, Any]


def _train_in_child(bars: dict[str, pd.DataFrame], settings: Settings, folds: int) -> _Trained:
    ml = settings.trading.ml
    try:
        result = train_run(
            bars,
            list(ml.models),
            lookback=ml.lookback,
            target=PlanTarget(PlanRules.from_config(settings.trading)),
            evaluation=WalkForwardConfig(max_folds=folds),
            runner=runner_for(settings),
        )
    finally:
        stop_local_workers()
    save_run(settings.models_dir, result.run_id, result.ensemble, result.manifest)
    return _Trained(result.run_id, _oos_loss(result.manifest), result.manifest["grade"])


def _oos_loss(manifest: dict[str, Any]) -> float | None:
    loss = manifest.get("oos_metrics", {}).get(ENSEMBLE, {}).get("log_loss")
    return float(loss) if loss is not None else None


def _verdict(promoted: bool, proven: bool) -> str:
    kept = "now current" if promoted else "kept the current model"
    return f"{kept}; {PROVEN if proven else UNPROVEN}"


async def retrain(s: Services, *, folds: int = 3) -> RetrainResult:
    ml = s.settings.trading.ml
    now = s.clock.now()
    start = now - timedelta(days=int(365.25 * ml.history_years))
    bars = await asyncio.to_thread(s.data.get_bars, list(s.runtime.get().symbols), start, now)
    loop = asyncio.get_running_loop()
    # A fresh interpreter, not a fork: the agent's process has threads (the loop's
    # helpers, the web server, joblib's) whose locks a forked child would inherit held.
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        trained = await loop.run_in_executor(pool, _train_in_child, bars, s.settings, folds)
    proven = is_proven({"grade": trained.grade})
    summary = str(trained.grade.get("summary", ""))
    current_loss = _oos_loss(s.models.manifest) if s.models.run_id else None
    new_loss = trained.log_loss
    promoted = new_loss is not None and (current_loss is None or new_loss <= current_loss)
    if promoted:
        set_current(s.settings.models_dir, trained.run_id)
        ensemble, run = await asyncio.to_thread(load_run, s.settings.models_dir, trained.run_id)
        s.models.swap(ensemble, run.run_id, run.manifest)
    message = (
        f"retrained {trained.run_id}: OOS log loss {new_loss} vs current {current_loss}; "
        f"{_verdict(promoted, proven)}"
    )
    audit.record(
        "system",
        "model.retrain",
        {
            "run_id": trained.run_id,
            "new_log_loss": new_loss,
            "current_log_loss": current_loss,
            "promoted": promoted,
            "proven": proven,
            "grade": summary,
        },
        at=now,
    )
    s.bus.publish(Alert(severity="info", source="model", message=message))
    log.info(
        "retrain finished",
        extra={"run_id": trained.run_id, "promoted": promoted, "proven": proven},
    )
    return RetrainResult(trained.run_id, new_loss, current_loss, promoted, proven, summary)
