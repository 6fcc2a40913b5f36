"""The casting model's two heads, each on the shared model contract (``core.models.Model``).

``ActorHead``: P(resonates) for a (film, actor) feature row. HistGradientBoosting or
RandomForest, chosen by AUROC on a temporal slice with a flip guard, display calibration on that
slice, and a cycle head (a linear model of the residuals on the cyclical year encoding).
scikit-learn's forests have no portable non-pickle form, so the head saves its training arrays
(``npz``) and re-fits deterministically behind ``load`` (fixed seed, one thread).

``DirectorHead``: a small film-level logistic model of how a director's as-of track record
predicts resonance (the director synergy bump); saved exactly as coefficients.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

from core.casting.calibration import IsotonicCalibrator, PlattCalibrator, choose_calibrator
from core.casting.features import CYCLE_FEATURES
from core.errors import MarqueeError
from core.io import load_npz, save_npz
from core.models import Flag, Model, ModelIntegrityError, Predictions
from core.splitting import split_by_year

log = logging.getLogger(__name__)
TRAINING_FILE = "training.npz"
COEF_FILE = "coefficients.npz"


def single_thread():
    """One OpenMP thread: on a shared 2-core machine libgomp's spinning threads made
    HistGradientBoosting ten times slower than a single thread (measured 25 s vs 2 s)."""
    return threadpool_limits(1, user_api="openmp")


def make_head(name: str, random_state: int):
    if name == "hgb":
        return HistGradientBoostingClassifier(max_iter=150, learning_rate=0.08, max_leaf_nodes=15,
                                              min_samples_leaf=40, l2_regularization=1.0,
                                              early_stopping=False, random_state=random_state)
    if name == "rf":
        return RandomForestClassifier(n_estimators=120, min_samples_leaf=25, max_features="sqrt",
                                      max_samples=0.5, n_jobs=1, random_state=random_state)
    raise MarqueeError(f"unknown actor head {name!r}: choose hgb or rf")


def check_two_classes(y, where: str) -> None:
    values = np.unique(np.asarray(y))
    if len(values) < 2:
        raise MarqueeError(f"{where} has only one class ({values.tolist()}): cannot train or score a casting model "
                           f"(choose another cutoff or target)")


class ActorHead(Model):
    """Actor head + display calibration + cycle head over contract-ordered feature rows."""

    kind = "casting-actor-head"
    fitted_attribute = "head_"

    def __init__(self, candidates: tuple[str, ...] = ("hgb", "rf"), calib_years: int = 3,
                 flip_margin: float = 0.005, calibration: str = "auto", random_state: int = 0):
        self.candidates = candidates
        self.calib_years = calib_years
        self.flip_margin = flip_margin
        self.calibration = calibration
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y, years) -> "ActorHead":
        with single_thread():
            return self._fit(X, np.asarray(y, dtype=int), np.asarray(years, dtype=int))

    def _fit(self, X: pd.DataFrame, y: np.ndarray, years: np.ndarray) -> "ActorHead":
        last = int(years.max())
        parts = split_by_year(pd.DataFrame({"year": years}), last - self.calib_years)
        fit_idx, cal_idx = parts["train"].index.to_numpy(), parts["test"].index.to_numpy()
        if len(fit_idx) < 100 or len(cal_idx) < 50:
            raise MarqueeError(f"too few labelled rows to train: {len(fit_idx)} before and {len(cal_idx)} in the "
                               f"{self.calib_years}-year calibration slice (need 100 and 50)")
        check_two_classes(y[fit_idx], "the head's training years")
        check_two_classes(y[cal_idx], "the calibration slice")
        self.feature_names_ = list(X.columns)
        X_fit, X_cal = X.iloc[fit_idx], X.iloc[cal_idx]
        heads, scores = {}, {}
        for name in self.candidates:
            heads[name] = make_head(name, self.random_state).fit(X_fit, y[fit_idx])
            scores[name] = float(roc_auc_score(y[cal_idx], heads[name].predict_proba(X_cal)[:, 1]))
        self.selection_auroc_ = scores
        self.head_name_ = self._select(scores)
        self.head_ = heads[self.head_name_]
        self.inverted_ = scores[self.head_name_] < 0.5
        if self.inverted_:
            log.warning("casting head ranks worse than chance on the calibration slice (AUROC %.3f)",
                        scores[self.head_name_])
        p_cal_slice = self.head_.predict_proba(X_cal)[:, 1]
        self.platt_ = PlattCalibrator().fit(p_cal_slice, y[cal_idx])
        self.isotonic_ = IsotonicCalibrator().fit(p_cal_slice, y[cal_idx])
        self.calibrator_name_, self.calibrator_ = choose_calibrator(self.calibration, self.platt_, self.isotonic_)
        self.fit_years_ = (int(years[fit_idx].min()), int(years[fit_idx].max()))
        self.calibration_years_ = (int(years[cal_idx].min()), int(years[cal_idx].max()))
        residual = y - self.calibrate(self.head_.predict_proba(X)[:, 1])
        cycle = Ridge(alpha=1.0).fit(X[CYCLE_FEATURES].to_numpy(), residual)
        self.cycle_coef_ = np.asarray(cycle.coef_, dtype=float)
        self.cycle_intercept_ = np.array([float(cycle.intercept_)])
        # kept for persistence: the forests are re-fitted from exactly these arrays on load
        self.training_X_ = X.to_numpy(dtype=float)
        self.training_y_ = y
        self.training_years_ = years
        return self

    def _select(self, scores: dict[str, float]) -> str:
        """Flip guard: leave the default head (the first candidate) only for a clear win."""
        default = self.candidates[0]
        best = max(scores, key=scores.get)
        if best != default and scores[best] - scores[default] <= self.flip_margin:
            return default
        return best

    def predict_base(self, X: pd.DataFrame) -> np.ndarray:
        """p_base: the chosen head's uncalibrated probability."""
        self.check_fitted()
        with single_thread():
            return self.head_.predict_proba(X[self.feature_names_])[:, 1]

    def calibrate(self, p_base) -> np.ndarray:
        self.check_fitted()
        return np.clip(self.calibrator_.predict(p_base), 0.0, 1.0)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities, shape (n, 2) as scikit-learn expects."""
        p = self.calibrate(self.predict_base(X))
        return np.column_stack([1.0 - p, p])

    def predict_flagged(self, X: pd.DataFrame) -> Predictions:
        """Calibrated P(resonates); ``cold_start`` for actors with no earlier role (a typical-actor guess)."""
        p = self.predict_proba(X)[:, 1]
        cold = X["actor_roles_prior"].to_numpy(dtype=float) < 1
        return Predictions(p, np.where(cold, Flag.COLD_START, Flag.OK).astype(object))

    def cycle_adjustment(self, X: pd.DataFrame) -> np.ndarray:
        self.check_fitted()
        return X[CYCLE_FEATURES].to_numpy(dtype=float) @ self.cycle_coef_ + self.cycle_intercept_[0]

    # ------------------------------------------------------------------ persistence (core.models)
    @classmethod
    def _params_from_record(cls, params: dict[str, Any]) -> dict[str, Any]:
        return {**params, "candidates": tuple(params.get("candidates", ("hgb", "rf")))}

    def _learned_arrays(self) -> dict[str, Any]:
        # the training matrix holds NaN on purpose (missing history); it is data, not learned numbers
        return {"cycle_coef": self.cycle_coef_, "cycle_intercept": self.cycle_intercept_}

    def _save_state(self, folder: Path) -> list[str]:
        save_npz(folder / TRAINING_FILE, {"X": self.training_X_, "y": self.training_y_, "years": self.training_years_,
                                          "columns": np.array(self.feature_names_, dtype=str)})
        return [TRAINING_FILE]

    def _load_state(self, folder: Path, record: dict[str, Any]) -> None:
        arrays = load_npz(folder / TRAINING_FILE, "casting actor head training arrays")
        try:
            X = pd.DataFrame(arrays["X"], columns=[str(c) for c in arrays["columns"]])
            self.fit(X, arrays["y"], arrays["years"])
        except (KeyError, ValueError) as exc:
            raise ModelIntegrityError(f"{folder}: casting actor head arrays do not fit together ({exc})") from None


DIRECTOR_FEATURES = ["dtr3", "director_films_prior", "budget_decile"]


class DirectorHead(Model):
    """Film-level logistic model: P(resonance) from the director's as-of track record."""

    kind = "casting-director-head"
    fitted_attribute = "coef_"

    def __init__(self, C: float = 1.0):
        self.C = C

    @staticmethod
    def _matrix(frame: pd.DataFrame) -> np.ndarray:
        decile = frame["budget_decile"].to_numpy(dtype=float)
        return np.column_stack([frame["dtr3"].to_numpy(dtype=float),
                                np.log1p(frame["director_films_prior"].to_numpy(dtype=float)),
                                np.nan_to_num(decile, nan=4.5), np.isnan(decile).astype(float)])

    def fit(self, frame: pd.DataFrame, y) -> "DirectorHead":
        check_two_classes(y, "the director head's training films")
        model = LogisticRegression(C=self.C).fit(self._matrix(frame), np.asarray(y, dtype=int))
        self.coef_ = np.asarray(model.coef_[0], dtype=float)
        self.intercept_ = np.array([float(model.intercept_[0])])
        self.base_rate_ = float(np.mean(y))
        return self

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        self.check_fitted()
        z = self._matrix(frame) @ self.coef_ + self.intercept_[0]
        p = 1.0 / (1.0 + np.exp(-z))
        return np.column_stack([1.0 - p, p])

    def predict_flagged(self, frame: pd.DataFrame) -> Predictions:
        """``cold_start`` for a director with no earlier film (the prior answers)."""
        p = self.predict_proba(frame)[:, 1]
        cold = frame["director_films_prior"].to_numpy(dtype=float) < 1
        return Predictions(p, np.where(cold, Flag.COLD_START, Flag.OK).astype(object))

    # ------------------------------------------------------------------ persistence (core.models)
    def _learned_arrays(self) -> dict[str, Any]:
        return {"coef": self.coef_, "intercept": self.intercept_}

    def _save_state(self, folder: Path) -> list[str]:
        save_npz(folder / COEF_FILE, {"coef": self.coef_, "intercept": self.intercept_,
                                      "base_rate": np.array([self.base_rate_])})
        return [COEF_FILE]

    def _load_state(self, folder: Path, record: dict[str, Any]) -> None:
        arrays = load_npz(folder / COEF_FILE, "casting director head coefficients")
        self.coef_ = np.asarray(arrays["coef"], dtype=float)
        self.intercept_ = np.asarray(arrays["intercept"], dtype=float)
        self.base_rate_ = float(arrays["base_rate"][0])
