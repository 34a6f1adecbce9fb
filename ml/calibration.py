"""Probability calibration: make "0.7" mean "right 70% of the time".

Platt scaling (a logistic regression on the logit of the raw probability) is the
default: with the weak signals of daily returns it is stable where isotonic regression
overfits its steps. Both are fit on out-of-sample predictions only, and both are saved
as plain numbers (JSON), not pickles.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

_EPS = 1e-6
CalibrationMethod = Literal["platt", "isotonic"]


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


class Calibration(Protocol):
    """A fitted map from raw to calibrated probabilities, saved as plain numbers."""

    def transform(self, p: np.ndarray) -> np.ndarray: ...
    def to_dict(self) -> dict[str, Any]: ...


class Calibrator(Calibration, Protocol):
    def fit(self, p: np.ndarray, y: np.ndarray) -> Calibrator: ...


class PlattCalibrator:
    def __init__(self, slope: float = 1.0, intercept: float = 0.0) -> None:
        self.slope = slope
        self.intercept = intercept

    def fit(self, p: np.ndarray, y: np.ndarray) -> PlattCalibrator:
        if len(np.unique(y)) < 2:
            self.slope, self.intercept = 0.0, float(logit(np.array([np.mean(y)]))[0])
            return self
        model = LogisticRegression(C=1e4, solver="lbfgs")
        model.fit(logit(p).reshape(-1, 1), y.astype(int))
        self.slope = float(model.coef_[0, 0])
        self.intercept = float(model.intercept_[0])
        if self.slope < 0:
            # A few months of hold-out that rank the model backwards are not evidence
            # enough to turn it upside down: calibration keeps the model's order or,
            # here, says it knows nothing (the hold-out's base rate).
            self.slope, self.intercept = 0.0, float(logit(np.array([np.mean(y)]))[0])
        return self

    def transform(self, p: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.slope * logit(p) + self.intercept)))

    def to_dict(self) -> dict[str, Any]:
        return {"method": "platt", "slope": self.slope, "intercept": self.intercept}


class IsotonicCalibrator:
    def __init__(self, x: list[float] | None = None, y: list[float] | None = None) -> None:
        self.x = np.asarray(x if x is not None else [0.0, 1.0], dtype=float)
        self.y = np.asarray(y if y is not None else [0.0, 1.0], dtype=float)

    def fit(self, p: np.ndarray, y: np.ndarray) -> IsotonicCalibrator:
        model = IsotonicRegression(y_min=0.01, y_max=0.99, out_of_bounds="clip")
        model.fit(p, y)
        self.x = model.X_thresholds_
        self.y = model.y_thresholds_
        return self

    def transform(self, p: np.ndarray) -> np.ndarray:
        return np.interp(p, self.x, self.y)

    def to_dict(self) -> dict[str, Any]:
        return {"method": "isotonic", "x": self.x.tolist(), "y": self.y.tolist()}


class AnchoredCalibrator:
    """A calibrator whose level is moved, in log-odds, so that its forecasts over a
    reference set average to a long-run rate.

    A calibration hold-out is a few recent months, and over a few months the share of
    profitable trades is mostly the market's mood, which no feature here predicts. Left
    alone, the hold-out's level would be carried into the next year as if it were
    knowledge. The hold-out keeps deciding the shape (how far apart forecasts are); the
    whole training history decides the level."""

    def __init__(self, inner: Calibration, shift: float = 0.0) -> None:
        self.inner = inner
        self.shift = shift

    @classmethod
    def anchor(cls, inner: Calibration, reference: np.ndarray, rate: float) -> AnchoredCalibrator:
        """Shift `inner` so that its forecasts for `reference` average to `rate`."""
        base = logit(inner.transform(reference))
        target = float(np.clip(rate, _EPS, 1 - _EPS))
        low, high = -20.0, 20.0
        for _ in range(80):  # bisection: the mean forecast rises with the shift
            middle = (low + high) / 2
            if float(np.mean(1.0 / (1.0 + np.exp(-(base + middle))))) < target:
                low = middle
            else:
                high = middle
        return cls(inner, (low + high) / 2)

    def transform(self, p: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(logit(self.inner.transform(p)) + self.shift)))

    def to_dict(self) -> dict[str, Any]:
        return {"method": "anchored", "shift": self.shift, "inner": self.inner.to_dict()}


def new_calibrator(method: CalibrationMethod) -> Calibrator:
    return PlattCalibrator() if method == "platt" else IsotonicCalibrator()


def calibrator_from_dict(data: dict[str, Any]) -> Calibration:
    if data["method"] == "anchored":
        return AnchoredCalibrator(calibrator_from_dict(data["inner"]), data["shift"])
    if data["method"] == "platt":
        return PlattCalibrator(data["slope"], data["intercept"])
    return IsotonicCalibrator(data["x"], data["y"])
