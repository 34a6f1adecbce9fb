"""Model runs on disk: `<models>/<run_id>/` with the model files and `manifest.json`,
and a `current` file naming the run in use.

Loading checks the manifest's feature schema against this code's features and refuses
a mismatch: a model fed columns it was not trained on predicts nonsense silently.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from ml.dataset import utc_nanoseconds
from ml.ensemble import Ensemble
from ml.features import FEATURE_NAMES, WARMUP_BARS, feature_names

MANIFEST = "manifest.json"
CONTEXT_KEY = "~context"
"""The context (SPY) bars' name in the data fingerprint: never a ticker."""
CURRENT = "current"
_LIBRARIES = ("numpy", "pandas", "scikit-learn", "lightgbm", "TA-Lib", "tensorflow-cpu", "keras")


class RegistryError(RuntimeError):
    """A model run is missing, unreadable or incompatible. The agent keeps the model it
    has (or runs without predictions) and tells the user."""


@dataclass(frozen=True)
class ModelRun:
    run_id: str
    path: Path
    manifest: dict[str, Any]


def new_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def data_fingerprint(bars: Mapping[str, pd.DataFrame]) -> str:
    """sha256 over symbols and their bars: two runs on the same data share it."""
    digest = hashlib.sha256()
    for symbol in sorted(bars):
        digest.update(symbol.encode())
        frame = bars[symbol]
        digest.update(utc_nanoseconds(frame.index, symbol).asi8.tobytes())
        digest.update(frame.to_numpy(dtype="float64").tobytes())
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def build_manifest(
    *,
    run_id: str,
    ensemble: Ensemble,
    bars: Mapping[str, pd.DataFrame],
    lookback: int,
    metrics: Mapping[str, Any],
    context: pd.DataFrame | None = None,
    folds: list[dict[str, Any]],
    reliability: Mapping[str, Any] | None = None,
    importance: Mapping[str, float] | None = None,
    grade: Mapping[str, Any] | None = None,
    member_grades: Mapping[str, Any] | None = None,
    plan: Mapping[str, Any] | None = None,
    evaluation: Mapping[str, Any] | None = None,
    trades: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The run's record. `grade` is the ensemble's (`ml.grading.Grade.to_dict()`):
    {"proven": bool, "summary": str, "criteria": {"a": {name, value, threshold, passed,
    explanation, detail?}, …}}; a run without one is not proven."""
    starts = [f.index[0] for f in bars.values() if len(f)]
    ends = [f.index[-1] for f in bars.values() if len(f)]
    outlook, selection = ensemble.outlook, ensemble.selection
    return {
        "run_id": run_id,
        "created_at": datetime.now(UTC).isoformat(),
        "symbols": sorted(bars),
        "models": ensemble.names,
        "target": ensemble.target,
        "feature_names": list(ensemble.feature_names),
        "market_context": ensemble.needs_context,
        "warmup_bars": WARMUP_BARS,
        "lookback": lookback,
        "horizon": ensemble.horizon,
        "plan": dict(plan) if plan else None,
        "typical": outlook.to_dict() if outlook else None,
        "selection": (
            {**selection.to_dict(), "threshold": selection.threshold} if selection else None
        ),
        "grade": dict(grade) if grade else {"proven": False, "summary": "not graded"},
        "member_grades": dict(member_grades or {}),
        "evaluation": dict(evaluation) if evaluation else None,
        "oos_trades": dict(trades or {}),
        "training_window": {
            "start": min(starts).date().isoformat() if starts else None,
            "end": max(ends).date().isoformat() if ends else None,
        },
        # The market context is data the run learnt from too.
        "data_fingerprint": data_fingerprint(
            {**bars, **({CONTEXT_KEY: context} if context is not None else {})}
        ),
        "weights": ensemble.weights,
        "holdout_log_loss": ensemble.holdout_losses,
        "oos_metrics": dict(metrics),
        "folds": folds,
        "reliability": dict(reliability or {}),
        "feature_importance": dict(importance or {}),
        "libraries": library_versions(),
    }


def save_run(
    models_dir: Path, run_id: str, ensemble: Ensemble, manifest: Mapping[str, Any]
) -> Path:
    folder = models_dir / run_id
    staging = models_dir / f".{run_id}.partial"
    staging.mkdir(parents=True, exist_ok=False)
    ensemble.save(staging)
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str))
    # A run folder appears complete or not at all, even if the process dies mid-save.
    staging.rename(folder)
    return folder


def set_current(models_dir: Path, run_id: str) -> None:
    if not (models_dir / run_id / MANIFEST).is_file():
        raise RegistryError(f"no model run {run_id!r} in {models_dir}")
    temporary = models_dir / f".{CURRENT}.tmp"
    temporary.write_text(run_id)
    os.replace(temporary, models_dir / CURRENT)


def current_run_id(models_dir: Path) -> str | None:
    path = models_dir / CURRENT
    return path.read_text().strip() if path.is_file() else None


def read_manifest(models_dir: Path, run_id: str) -> dict[str, Any]:
    path = models_dir / run_id / MANIFEST
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as error:
        raise RegistryError(f"no model run {run_id!r} in {models_dir}") from error
    except json.JSONDecodeError as error:
        raise RegistryError(f"{path} is not valid JSON: {error}") from error


def check_schema(manifest: Mapping[str, Any]) -> None:
    """The run's features must be this code's own features, with or without the
    market context ones, in this code's order."""
    names = list(manifest.get("feature_names", []))
    known = [list(feature_names(context=c)) for c in (False, True)]
    if names not in known:
        expected = known[1] if len(names) > len(FEATURE_NAMES) else known[0]
        missing = sorted(set(expected) - set(names))
        extra = sorted(set(names) - set(expected))
        detail = f"missing {missing}, unexpected {extra}" if missing or extra else "order differs"
        raise RegistryError(
            f"model run {manifest.get('run_id')} was trained on a different feature schema "
            f"({detail}); retrain with `stockbot train`"
        )


def load_run(models_dir: Path, run_id: str | None = None) -> tuple[Ensemble, ModelRun]:
    run_id = run_id or current_run_id(models_dir)
    if run_id is None:
        raise RegistryError(f"no current model in {models_dir}; train one with `stockbot train`")
    manifest = read_manifest(models_dir, run_id)
    check_schema(manifest)
    return Ensemble.load(models_dir / run_id), ModelRun(run_id, models_dir / run_id, manifest)


def list_runs(models_dir: Path) -> list[ModelRun]:
    if not models_dir.is_dir():
        return []
    runs = []
    for folder in sorted(
        p for p in models_dir.iterdir() if p.is_dir() and not p.name.startswith(".")
    ):
        try:
            runs.append(ModelRun(folder.name, folder, read_manifest(models_dir, folder.name)))
        except RegistryError:
            continue
    return runs


def is_proven(manifest: Mapping[str, Any]) -> bool:
    """Whether the run earned autonomy (its grade says proven); False when ungraded."""
    grade = manifest.get("grade") or {}
    return bool(grade.get("proven", False))
