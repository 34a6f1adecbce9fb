"""The ensemble: calibrated members, weighted by out-of-sample log loss, calibrated again.

Fitting uses only the samples it is given (one training fold):
1. the fold's sessions are split into a fitting part and a calibration hold-out (the
   newest 20%), purged by the label horizon and embargoed;
2. every member is trained on the fitting part and predicts the hold-out;
3. each member gets a calibrator fit on its hold-out predictions, then anchored: its
   level moved so its hold-out forecasts average to the whole fold's base rate (a few
   months' share of winners is the market's mood, not knowledge; `AnchoredCalibrator`);
4. weights come from the members' hold-out log loss (before anchoring):
   w ∝ exp(−(L − L_best) / 0.005), so a member 0.005 nats worse counts e⁻¹ as much;
5. the weighted average is calibrated once more on the same hold-out, and anchored;
6. for the plan target: the plan's base rate and typical R over the fold (what taking
   every trade did, `PlanOutlook`, which also turns P(profit) into an expected R) and
   the selection bar — that base rate plus a fixed margin (`SelectionRule`).

`update_weights` recomputes the weights from recent live log losses.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from core.base.types import FeatureContribution, ModelPrediction
from ml.calibration import (
    AnchoredCalibrator,
    Calibration,
    CalibrationMethod,
    calibrator_from_dict,
    new_calibrator,
)
from ml.dataset import Samples
from ml.features import FEATURE_NAMES
from ml.models import Model, load_model
from ml.models.base import ModelError
from ml.models.gbm import GbmModel
from ml.outlook import PlanOutlook
from ml.selection import SelectionRule, may_signal
from ml.splits import holdout
from ml.targets import TargetName

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
        self.calibrators: dict[str, Calibration] = {}
        self.final_calibrator: Calibration | None = None
        self.weights: dict[str, float] = {}
        self.holdout_losses: dict[str, float] = {}
        self.target: TargetName = "direction"
        self.horizon = 1
        self.feature_names: tuple[str, ...] = FEATURE_NAMES
        self.outlook: PlanOutlook | None = None
        """The plan over the training history (plan target only)."""
        self.selection: SelectionRule | None = None
        """Which trades it would take (plan target only)."""

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.models]

    @property
    def needs_context(self) -> bool:
        """Whether samples must carry the market context (SPY) features."""
        return len(self.feature_names) > len(FEATURE_NAMES)

    def fit(self, samples: Samples, progress: Progress | None = None) -> None:
        samples = samples.labelled()
        self.target, self.horizon = samples.target, samples.horizon
        self.feature_names = samples.feature_names
        split = holdout(
            samples.timestamps,
            fraction=self.holdout_fraction,
            horizon=samples.horizon,
            embargo=self.embargo,
        )
        fit_mask, calib_mask = split.masks(samples.timestamps)
        fit_part, calib_part = samples.subset(fit_mask), samples.subset(calib_mask)
        y = calib_part.labels
        rate = float(samples.labels.mean())
        calibrated: dict[str, np.ndarray] = {}
        for model in self.models:
            report = (lambda text, name=model.name: progress(name, text)) if progress else None
            model.fit(fit_part, report)
            raw = model.predict_proba(calib_part)
            calibrator = new_calibrator(self.calibration).fit(raw, y)
            self.holdout_losses[model.name] = log_loss(y, calibrator.transform(raw))
            anchored = AnchoredCalibrator.anchor(calibrator, raw, rate)
            self.calibrators[model.name] = anchored
            calibrated[model.name] = anchored.transform(raw)
            if progress:
                progress(model.name, "done")
        self.weights = weights_from_losses(self.holdout_losses)
        combined = self._combine(calibrated)
        final = new_calibrator(self.calibration).fit(combined, y)
        self.final_calibrator = AnchoredCalibrator.anchor(final, combined, rate)
        plan = samples.target == "plan"
        self.outlook = PlanOutlook.fit(samples.r) if plan else None
        self.selection = SelectionRule(base_rate=rate) if plan else None

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

    def _check_features(self, samples: Samples) -> None:
        if samples.feature_names != self.feature_names:
            need = "with" if self.needs_context else "without"
            raise ModelError(
                f"this model was trained on {len(self.feature_names)} features and the "
                f"samples have {len(samples.feature_names)}: build them {need} the market "
                "context (build_samples(..., context=SPY bars))"
            )

    def member_probabilities(self, samples: Samples) -> dict[str, np.ndarray]:
        """Each member's calibrated probability of the target (profit, or "up")."""
        if self.final_calibrator is None:
            raise ModelError("the ensemble has not been trained or loaded")
        self._check_features(samples)
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

    def expected_r(self, probability: np.ndarray) -> np.ndarray | None:
        """E[R] implied by probabilities of profit (plan target only)."""
        return self.outlook.expected_r(probability) if self.outlook else None

    def selected(self, probability: np.ndarray) -> np.ndarray:
        """The trades it would take; none without a selection rule (other targets)."""
        if self.selection is None:
            return np.zeros(len(probability), dtype=bool)
        return self.selection.select(probability)

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
                    name=samples.feature_names[j],
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
        explain_edge: float | None = None,
    ) -> list[ModelPrediction]:
        """A `ModelPrediction` per sample with each member's vote. The top reasons are
        attached where a signal can follow at the owner's `explain_edge` (its
        `min_edge`; `ml.selection.may_signal`, the rule the signal policy applies) —
        reasons cost far more than probabilities, and only signals a person sees need
        them; None explains every sample.

        For the plan target `probability_up` carries P(the trade ends in profit), shown
        with its expected R and the plan's typical values over the training history."""
        final, members = self.predict_with_members(samples)
        outlook, selection = self.outlook, self.selection
        wanted = (
            np.ones(len(final), dtype=bool)
            if explain_edge is None
            else may_signal(
                final,
                target=self.target,
                base_rate=outlook.base_rate if outlook else None,
                selection_threshold=selection.threshold if selection else None,
                min_edge=explain_edge,
            )
        )
        reasons = self._reasons(samples, wanted)
        expected = self.expected_r(final)
        target = self.target if self.target in ("plan", "direction") else None
        symbols = samples.symbols
        stamps = samples.timestamps
        out = []
        for i in range(len(samples)):
            up = final[i] >= 0.5
            votes = {name: float(p[i]) for name, p in members.items()}
            agree = sum((p >= 0.5) == up for p in votes.values()) / len(votes)
            out.append(
                ModelPrediction(
                    symbol=str(symbols[i]),
                    timestamp=stamps[i].to_pydatetime(),
                    horizon=self.horizon,
                    probability_up=float(final[i]),
                    model_probabilities=votes,
                    agreement=agree,
                    top_features=reasons.get(i, ()),
                    model_run_id=model_run_id,
                    target=target,
                    expected_r=float(expected[i]) if expected is not None else None,
                    base_rate=outlook.base_rate if outlook else None,
                    typical_r=outlook.typical_r if outlook else None,
                    selection_threshold=selection.threshold if selection else None,
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
            "target": self.target,
            "horizon": self.horizon,
            "feature_names": list(self.feature_names),
            "outlook": self.outlook.to_dict() if self.outlook else None,
            "selection": self.selection.to_dict() if self.selection else None,
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
        # Runs saved before the plan target predicted next-day direction on own features.
        ensemble.target = state.get("target", "direction")
        ensemble.horizon = state.get("horizon", 1)
        ensemble.feature_names = tuple(state.get("feature_names", FEATURE_NAMES))
        ensemble.outlook = PlanOutlook.from_dict(state.get("outlook"))
        ensemble.selection = SelectionRule.from_dict(state.get("selection"))
        return ensemble
