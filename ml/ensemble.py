"""The ensemble: calibrated members, weighted by out-of-sample log loss, calibrated again.

Fitting uses only the samples it is given (one training fold):
1. the fold's sessions are split into a fitting part and a calibration hold-out (the
   newest 20%), purged by the label horizon and embargoed;
2. every member is trained on the fitting part and predicts the hold-out;
3. each member gets a calibrator fit on its hold-out predictions;
4. weights come from the members' hold-out log loss: w ∝ exp(−(L − L_best) / 0.005),
   so a member 0.005 nats worse than the best counts e⁻¹ as much;
5. the weighted average is calibrated once more on the same hold-out.

`update_weights` recomputes the weights from recent live log losses.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from core.base.types import FeatureContribution, ModelPrediction
from ml.calibration import (
    CalibrationMethod,
    Calibrator,
    calibrator_from_dict,
    new_calibrator,
)
from ml.dataset import Samples
from ml.features import FEATURE_NAMES
from ml.models import Model, load_model
from ml.models.base import ModelError
from ml.models.gbm import GbmModel
from ml.splits import holdout

WEIGHT_TEMPERATURE = 0.005
TOP_FEATURES = 5
_FILE = "ensemble.json"

Progress = Callable[[str, str], None]
"""Called with (model name, status) while members train."""


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def weights_from_losses(losses: Mapping[str, float]) -> dict[str, float]:
    best = min(losses.values())
    raw = {
        name: float(np.exp(-(loss - best) / WEIGHT_TEMPERATURE)) for name, loss in losses.items()
    }
    total = sum(raw.values())
    return {name: value / total for name, value in raw.items()}


class Ensemble:
    def __init__(
        self,
        models: Sequence[Model],
        *,
        calibration: CalibrationMethod = "platt",
        embargo: int = 5,
        holdout_fraction: float = 0.2,
    ) -> None:
        if not models:
            raise ModelError("an ensemble needs at least one model")
        self.models = list(models)
        self.calibration = calibration
        self.embargo = embargo
        self.holdout_fraction = holdout_fraction
        self.calibrators: dict[str, Calibrator] = {}
        self.final_calibrator: Calibrator | None = None
        self.weights: dict[str, float] = {}
        self.holdout_losses: dict[str, float] = {}

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.models]

    def fit(self, samples: Samples, progress: Progress | None = None) -> None:
        samples = samples.labelled()
        split = holdout(
            samples.timestamps,
            fraction=self.holdout_fraction,
            horizon=samples.horizon,
            embargo=self.embargo,
        )
        fit_mask, calib_mask = split.masks(samples.timestamps)
        fit_part, calib_part = samples.subset(fit_mask), samples.subset(calib_mask)
        y = calib_part.labels
        calibrated: dict[str, np.ndarray] = {}
        for model in self.models:
            report = (lambda text, name=model.name: progress(name, text)) if progress else None
            model.fit(fit_part, report)
            raw = model.predict_proba(calib_part)
            calibrator = new_calibrator(self.calibration).fit(raw, y)
            self.calibrators[model.name] = calibrator
            calibrated[model.name] = calibrator.transform(raw)
            self.holdout_losses[model.name] = log_loss(y, calibrated[model.name])
            if progress:
                progress(model.name, "done")
        self.weights = weights_from_losses(self.holdout_losses)
        combined = self._combine(calibrated)
        self.final_calibrator = new_calibrator(self.calibration).fit(combined, y)

    def update_weights(self, performance: Mapping[str, float]) -> dict[str, float]:
        """New weights from recent out-of-sample log loss per member (unknown names are
        refused; members without a figure keep their hold-out loss)."""
        unknown = set(performance) - set(self.names)
        if unknown:
            raise ModelError(f"no member named {', '.join(sorted(unknown))} in this ensemble")
        self.weights = weights_from_losses({**self.holdout_losses, **performance})
        return self.weights

    def _combine(self, calibrated: Mapping[str, np.ndarray]) -> np.ndarray:
        return sum(self.weights[name] * p for name, p in calibrated.items())  # type: ignore[return-value]

    def _final(self, members: Mapping[str, np.ndarray]) -> np.ndarray:
        if self.final_calibrator is None:
            raise ModelError("the ensemble has not been trained or loaded")
        return self.final_calibrator.transform(self._combine(members))

    def member_probabilities(self, samples: Samples) -> dict[str, np.ndarray]:
        """Each member's calibrated probability of "up"."""
        if self.final_calibrator is None:
            raise ModelError("the ensemble has not been trained or loaded")
        return {
            m.name: self.calibrators[m.name].transform(m.predict_proba(samples))
            for m in self.models
        }

    def predict_with_members(self, samples: Samples) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The ensemble's calibrated probability and each member's, in one pass."""
        members = self.member_probabilities(samples)
        return self._final(members), members

    def predict(self, samples: Samples) -> np.ndarray:
        return self.predict_with_members(samples)[0]

    def _reasons(self, samples: Samples, wanted: np.ndarray) -> dict[int, tuple]:
        """Top feature contributions for the samples in `wanted` (LightGBM's, when it is
        a member; nothing otherwise)."""
        gbm = next((m for m in self.models if isinstance(m, GbmModel)), None)
        rows = np.flatnonzero(wanted)
        if gbm is None or rows.size == 0:
            return {}
        chosen = samples.subset(wanted)
        contributions = gbm.contributions(chosen)
        values = chosen.tabular()
        reasons = {}
        for k, i in enumerate(rows):
            order = np.argsort(-np.abs(contributions[k]))[:TOP_FEATURES]
            reasons[int(i)] = tuple(
                FeatureContribution(
                    name=FEATURE_NAMES[j],
                    value=float(values[k, j]),
                    contribution=float(contributions[k, j]),
                )
                for j in order
            )
        return reasons

    def predictions(
        self,
        samples: Samples,
        *,
        model_run_id: str | None = None,
        explain_from: float = 0.0,
    ) -> list[ModelPrediction]:
        """A `ModelPrediction` per sample with each member's vote; the top reasons are
        attached where the confidence is at least `explain_from` (reasons cost far more
        than probabilities, and only signals a person sees need them)."""
        final, members = self.predict_with_members(samples)
        confidence = np.maximum(final, 1.0 - final)
        reasons = self._reasons(samples, confidence >= explain_from)
        out = []
        for i, row in enumerate(samples.index.itertuples(index=False)):
            up = final[i] >= 0.5
            votes = {name: float(p[i]) for name, p in members.items()}
            agree = sum((p >= 0.5) == up for p in votes.values()) / len(votes)
            out.append(
                ModelPrediction(
                    symbol=row.symbol,
                    timestamp=pd.Timestamp(row.timestamp).to_pydatetime(),
                    horizon=samples.horizon,
                    probability_up=float(final[i]),
                    model_probabilities=votes,
                    agreement=agree,
                    top_features=reasons.get(i, ()),
                    model_run_id=model_run_id,
                )
            )
        return out

    # -- persistence ---------------------------------------------------------------

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for model in self.models:
            model.save(folder)
        if self.final_calibrator is None:
            raise ModelError("the ensemble has not been trained")
        state = {
            "models": self.names,
            "calibration": self.calibration,
            "embargo": self.embargo,
            "holdout_fraction": self.holdout_fraction,
            "calibrators": {n: c.to_dict() for n, c in self.calibrators.items()},
            "final_calibrator": self.final_calibrator.to_dict(),
            "weights": self.weights,
            "holdout_losses": self.holdout_losses,
        }
        (folder / _FILE).write_text(json.dumps(state, indent=2))

    @classmethod
    def load(cls, folder: Path) -> Ensemble:
        state = json.loads((folder / _FILE).read_text())
        ensemble = cls(
            [load_model(name, folder) for name in state["models"]],
            calibration=state["calibration"],
            embargo=state["embargo"],
            holdout_fraction=state["holdout_fraction"],
        )
        ensemble.calibrators = {n: calibrator_from_dict(d) for n, d in state["calibrators"].items()}
        ensemble.final_calibrator = calibrator_from_dict(state["final_calibrator"])
        ensemble.weights = state["weights"]
        ensemble.holdout_losses = state["holdout_losses"]
        return ensemble
