"""Display calibration: Platt scaling and an isotonic map, each with a guard against collapse.

Both are fitted on a temporal calibration slice (training years after the actor head's own
fitting years), so they see predictions the head made on films it never trained on.
"""
from __future__ import annotations

import logging

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

log = logging.getLogger(__name__)
EPS = 1e-6


def _logit(p) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), EPS, 1 - EPS)
    return np.log(p / (1 - p)).reshape(-1, 1)


def _collapse_check(calibrator, p, min_levels: int, min_spread: float) -> None:
    mapped = calibrator.predict(p)
    calibrator.levels_ = int(len(np.unique(np.round(mapped, 4))))
    calibrator.spread_ = float(np.std(mapped))
    calibrator.collapsed_ = calibrator.levels_ < min_levels or calibrator.spread_ < min_spread


class PlattCalibrator:
    """p_cal = σ(a·logit(p_base) + b); collapsed when the slope leaves almost no spread."""

    def __init__(self, min_levels: int = 6, min_spread: float = 0.02):
        self.min_levels = min_levels
        self.min_spread = min_spread

    def fit(self, p, y) -> "PlattCalibrator":
        model = LogisticRegression(C=1e4).fit(_logit(p), np.asarray(y, dtype=int))
        self.a_, self.b_ = float(model.coef_[0, 0]), float(model.intercept_[0])
        _collapse_check(self, p, self.min_levels, self.min_spread)
        self.collapsed_ = self.collapsed_ or self.a_ <= 0
        return self

    def predict(self, p) -> np.ndarray:
        z = self.a_ * _logit(p)[:, 0] + self.b_
        return 1.0 / (1.0 + np.exp(-z))


class IsotonicCalibrator:
    """Monotone piecewise-linear map of base probabilities; ``collapsed_`` when it keeps too few levels."""

    def __init__(self, min_levels: int = 6, min_spread: float = 0.02):
        self.min_levels = min_levels
        self.min_spread = min_spread

    def fit(self, p, y) -> "IsotonicCalibrator":
        p = np.asarray(p, dtype=float)
        self.model_ = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, np.asarray(y, dtype=float))
        _collapse_check(self, p, self.min_levels, self.min_spread)
        return self

    def predict(self, p) -> np.ndarray:
        return self.model_.predict(np.asarray(p, dtype=float))


class IdentityCalibrator:
    """Last resort when both maps collapsed: show the base probability itself."""

    collapsed_ = False

    def predict(self, p) -> np.ndarray:
        return np.asarray(p, dtype=float)


def choose_calibrator(method: str, platt: PlattCalibrator, isotonic: IsotonicCalibrator) -> tuple[str, object]:
    """The display map. ``auto`` prefers Platt scaling (smooth, keeps every rank distinct on a slate),
    then the isotonic map, skipping any that collapsed (a near-constant output would show the same
    probability for a whole slate); ``platt`` or ``isotonic`` put that one first."""
    order = {"auto": ("platt", "isotonic"), "platt": ("platt", "isotonic"), "isotonic": ("isotonic", "platt")}[method]
    maps = {"platt": platt, "isotonic": isotonic}
    for name in order:
        if not maps[name].collapsed_:
            return name, maps[name]
        log.warning("%s calibration collapsed (%d levels, spread %.3f); trying the next map",
                    name, maps[name].levels_, maps[name].spread_)
    return "identity", IdentityCalibrator()


def prior_shift(p, train_prior: float, max_iter: int = 100, tol: float = 1e-6) -> tuple[float, np.ndarray]:
    """Label-shift correction of calibrated probabilities for a new population (Saerens et al.,
    2002): EM estimate of the population's positive rate from its unlabelled predictions, and the
    predictions re-weighted to that prior. Returns (estimated prior, corrected probabilities)."""
    p = np.clip(np.asarray(p, dtype=float), EPS, 1 - EPS)
    if len(p) == 0 or not 0 < train_prior < 1:
        return train_prior, p
    prior = train_prior
    for _ in range(max_iter):
        up, down = prior / train_prior * p, (1 - prior) / (1 - train_prior) * (1 - p)
        adjusted = up / (up + down)
        new = float(np.clip(adjusted.mean(), EPS, 1 - EPS))
        if abs(new - prior) < tol:
            prior = new
            break
        prior = new
    up, down = prior / train_prior * p, (1 - prior) / (1 - train_prior) * (1 - p)
    return prior, up / (up + down)
