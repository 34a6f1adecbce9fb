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


class Calibrator(Protocol):
    def fit(self, p: np.ndarray, y: np.ndarray) -> Calibrator: ...
    def transform(self, p: np.ndarray) -> np.ndarray: ...
    def to_dict(self) -> dict[str, Any]: ...


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


def new_calibrator(method: CalibrationMethod) -> Calibrator:
    return PlattCalibrator() if method == "platt" else IsotonicCalibrator()


def calibrator_from_dict(data: dict[str, Any]) -> Calibrator:
    if data["method"] == "platt":
        return PlattCalibrator(data["slope"], data["intercept"])
    return IsotonicCalibrator(data["x"], data["y"])
