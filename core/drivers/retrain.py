"""Weekly walk-forward retraining, in a separate process so the agent's loop and its
inference never wait on it. A new model becomes current only if its out-of-sample log
loss is no worse than the current one's; both figures are reported."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pandas as pd

from core.agent.services import Services
from core.base.events import Alert
from ml.registry import load_run, save_run, set_current
from ml.training import ENSEMBLE, WalkForwardConfig, train_run
from storage import audit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetrainResult:
    run_id: str
    new_log_loss: float | None
    current_log_loss: float | None
    promoted: bool


def _train_in_child(
    bars: dict[str, pd.DataFrame],
    models: Sequence[str],
    lookback: int,
    horizon: int,
    models_dir: Path,
    folds: int,
) -> tuple[str, float | None]:
    result = train_run(
        bars,
        models,
        lookback=lookback,
        horizon=horizon,
        evaluation=WalkForwardConfig(max_folds=folds),
    )
    save_run(models_dir, result.run_id, result.ensemble, result.manifest)
    loss = result.manifest["oos_metrics"].get(ENSEMBLE, {}).get("log_loss")
    return result.run_id, loss


def _oos_loss(manifest: dict) -> float | None:
    return manifest.get("oos_metrics", {}).get(ENSEMBLE, {}).get("log_loss")


async def retrain(s: Services, *, folds: int = 3) -> RetrainResult:
    ml = s.settings.trading.ml
    now = s.clock.now()
    start = now - timedelta(days=int(365.25 * ml.history_years))
    bars = await asyncio.to_thread(s.data.get_bars, list(s.runtime.get().symbols), start, now)
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=1) as pool:
        run_id, new_loss = await loop.run_in_executor(
            pool,
            _train_in_child,
            bars,
            list(ml.models),
            ml.lookback,
            ml.horizon,
            s.settings.models_dir,
            folds,
        )
    current_loss = _oos_loss(s.models.manifest) if s.models.run_id else None
    promoted = new_loss is not None and (current_loss is None or new_loss <= current_loss)
    if promoted:
        set_current(s.settings.models_dir, run_id)
        ensemble, run = await asyncio.to_thread(load_run, s.settings.models_dir, run_id)
        s.models.swap(ensemble, run.run_id, run.manifest)
    verdict = "now current" if promoted else "kept the current model"
    message = f"retrained {run_id}: OOS log loss {new_loss} vs current {current_loss}; {verdict}"
    audit.record(
        "system",
        "model.retrain",
        {
            "run_id": run_id,
            "new_log_loss": new_loss,
            "current_log_loss": current_loss,
            "promoted": promoted,
        },
        at=now,
    )
    s.bus.publish(Alert(severity="info", source="model", message=message))
    log.info("retrain finished", extra={"run_id": run_id, "promoted": promoted})
    return RetrainResult(run_id, new_loss, current_loss, promoted)
