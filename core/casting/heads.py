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
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import roc_auc_score
from threadpoolctl import ThreadpoolController

from core.casting.calibration import IsotonicCalibrator, PlattCalibrator, choose_calibrator, prior_shift
from core.casting.features import CYCLE_FEATURES
from core.errors import MarqueeError
from core.io import load_npz, save_npz
from core.metrics import expected_calibration_error
from core.models import Flag, Model, ModelIntegrityError, Predictions
from core.splitting import split_by_year

log = logging.getLogger(__name__)
TRAINING_FILE = "training.npz"
COEF_FILE = "coefficients.npz"


_CONTROLLER: list = []  # one ThreadpoolController, made on first use (after scikit-learn's OpenMP is loaded)


def single_thread():
    """One OpenMP thread: on a shared 2-core machine libgomp's spinning threads made
    HistGradientBoosting ten times slower than a single thread (measured 25 s vs 2 s).
    The loaded libraries are scanned once per process: ``threadpool_limits`` re-scans them on every
    call (28 ms each at load 12, three calls per brief). Only the OpenMP ones are asked for their
    thread counts on entry: each ask is a ctypes call that gives up the GIL, and in the app's server
    getting it back behind Streamlit's other threads took ~16 ms per ask (145 ms of a 485 ms brief
    run in a profiled server at load ~6, with the BLAS libraries asked too)."""
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController().select(user_api="openmp"))
    return _CONTROLLER[0].limit(limits=1)


OPENMP_HEADS = ("gbm", "hgb", "ens")  # histogram gradient boosting (alone or in the ensemble) runs on OpenMP


def single_thread_for(head_name: str):
    """``single_thread()`` for a head that runs on OpenMP; nothing to limit for the others."""
    return single_thread() if head_name in OPENMP_HEADS else nullcontext()


HEAD_NAMES = ("logit", "gbm", "ens", "hgb", "rf")
ENSEMBLE_MEMBERS = ("logit", "gbm")
# counts and spans with long right tails: the logistic head sees log(1 + x)
LOG_COLUMNS = {"pair_films_prior", "actor_roles_prior", "actor_scored_prior", "pace3", "director_films_prior", "years_since_last",
               "bill_order"}


class LogitHead:
    """Regularised logistic regression: log1p on counts, median imputation with missing flags, z-scores."""

    def __init__(self, C: float = 0.01):  # chosen on validation years 2008-10 (0.01: 0.795, 0.05: 0.791, 0.2: 0.790)
        self.C = C

    def _matrix(self, X: pd.DataFrame) -> np.ndarray:
        values = X.to_numpy(dtype=float, copy=True)
        for j, name in enumerate(X.columns):
            if name in LOG_COLUMNS:
                values[:, j] = np.log1p(np.clip(values[:, j], 0, None))
        return values

    def fit(self, X: pd.DataFrame, y) -> "LogitHead":
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        self.pipeline_ = make_pipeline(SimpleImputer(strategy="median", add_indicator=True,
                                                     keep_empty_features=True),
                                       StandardScaler(),
                                       LogisticRegression(C=self.C, max_iter=5000))
        self.pipeline_.fit(self._matrix(X), np.asarray(y, dtype=int))
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self.pipeline_.predict_proba(self._matrix(X))


class EnsembleHead:
    """The mean probability of the logistic head and the shallow boosted trees."""

    def __init__(self, random_state: int = 0):
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y) -> "EnsembleHead":
        self.members_ = [make_head(name, self.random_state).fit(X, y) for name in ENSEMBLE_MEMBERS]
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return np.mean([m.predict_proba(X) for m in self.members_], axis=0)


def make_head(name: str, random_state: int):
    if name == "logit":
        return LogitHead()
    if name == "gbm":  # shallow, slow-learning, strongly regularised trees
        return HistGradientBoostingClassifier(max_iter=250, learning_rate=0.04, max_depth=3, max_leaf_nodes=8,
                                              min_samples_leaf=60, l2_regularization=5.0,
                                              early_stopping=False, random_state=random_state)
    if name == "ens":
        return EnsembleHead(random_state)
    if name == "hgb":  # the seed's head
        return HistGradientBoostingClassifier(max_iter=150, learning_rate=0.08, max_leaf_nodes=15,
                                              min_samples_leaf=40, l2_regularization=1.0,
                                              early_stopping=False, random_state=random_state)
    if name == "rf":
        return RandomForestClassifier(n_estimators=120, min_samples_leaf=25, max_features="sqrt",
                                      max_samples=0.5, n_jobs=1, random_state=random_state)
    raise MarqueeError(f"unknown actor head {name!r}: choose one of {', '.join(HEAD_NAMES)}")


def per_year_auroc(y, p, years) -> float:
    """Mean over years of the within-year AUROC (years with one class are skipped)."""
    y, p, years = np.asarray(y), np.asarray(p), np.asarray(years)
    scores = [roc_auc_score(y[years == v], p[years == v]) for v in np.unique(years)
              if len(np.unique(y[years == v])) == 2]
    return float(np.mean(scores)) if scores else float("nan")


TREE_HEADS = ("gbm", "hgb")  # sklearn's histogram trees cannot bin a feature that has no value at all


def check_features_present(X: pd.DataFrame, where: str) -> None:
    """A feature with no value in any training row cannot be binned by the tree heads (sklearn
    fails with 'window shape cannot be larger than input array shape'): say so in one line."""
    empty = [c for c in X.columns if not X[c].notna().any()]
    if empty:
        shown = ", ".join(empty[:4]) + (f" and {len(empty) - 4} more" if len(empty) > 4 else "")
        raise MarqueeError(f"{where} hold no value for {shown}: the catalog has too little history before the "
                           "cutoff for the casting features (choose a later cutoff, or a catalog with earlier years)")


def check_two_classes(y, where: str) -> None:
    values = np.unique(np.asarray(y))
    if len(values) < 2:
        raise MarqueeError(f"{where} has only one class ({values.tolist()}): cannot train or score a casting model "
                           f"(choose another cutoff or target)")


class ActorHead(Model):
    """Actor head + display calibration + cycle head over contract-ordered feature rows."""

    kind = "casting-actor-head"
    fitted_attribute = "head_"

    def __init__(self, candidates: tuple[str, ...] = ("logit", "gbm", "ens"), calib_years: int = 3,
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
        """Rolling validation: for each of the last ``calib_years`` training years V, every candidate
        is fitted on years before V and scored on V. The candidate with the best mean within-year
        AUROC wins (flip guard), its out-of-time predictions on those years fit the calibration,
        and the winner is re-fitted on every training year."""
        last = int(years.max())
        val_years = list(range(last - self.calib_years + 1, last + 1))
        first_val = split_by_year(pd.DataFrame({"year": years}), val_years[0] - 1)
        fit_idx, cal_idx = first_val["train"].index.to_numpy(), first_val["test"].index.to_numpy()
        if len(fit_idx) < 100 or len(cal_idx) < 50:
            raise MarqueeError(f"too few labelled rows to train: {len(fit_idx)} before and {len(cal_idx)} in the "
                               f"{self.calib_years} validation years (need 100 and 50)")
        check_two_classes(y[fit_idx], "the head's training years")
        check_two_classes(y[cal_idx], "the validation years")
        self.feature_names_ = list(X.columns)
        # the ensemble's out-of-time predictions are the mean of its members' (fitted once each)
        fitted = sorted({m for name in self.candidates for m in (ENSEMBLE_MEMBERS if name == "ens" else (name,))})
        oot = {name: np.full(len(y), np.nan) for name in [*fitted, *self.candidates]}
        for year in val_years:
            train, test = np.flatnonzero(years < year), np.flatnonzero(years == year)
            if len(test) == 0 or len(np.unique(y[train])) < 2:
                continue
            if any(name in TREE_HEADS for name in fitted):
                check_features_present(X.iloc[train], f"the training years before {year}")
            for name in fitted:
                oot[name][test] = make_head(name, self.random_state).fit(X.iloc[train], y[train]).predict_proba(
                    X.iloc[test])[:, 1]
        if "ens" in self.candidates:
            oot["ens"] = np.mean([oot[m] for m in ENSEMBLE_MEMBERS], axis=0)
        scored = np.flatnonzero(np.isfinite(oot[self.candidates[0]]))
        self.selection_auroc_ = {name: per_year_auroc(y[scored], oot[name][scored], years[scored])
                                 for name in self.candidates}
        self.head_name_ = self._select(self.selection_auroc_)
        self.validation_p_ = oot[self.head_name_][scored]
        self.validation_y_ = y[scored]
        self.validation_years_ = years[scored]
        self._finish(X, y, years)
        return self

    def _finish(self, X: pd.DataFrame, y: np.ndarray, years: np.ndarray) -> None:
        """Fit the chosen head on every training year, the calibrators on its out-of-time predictions."""
        self.head_ = make_head(self.head_name_, self.random_state).fit(X, y)
        self.inverted_ = self.selection_auroc_[self.head_name_] < 0.5
        if self.inverted_:
            log.warning("casting head ranks worse than chance on the validation years (AUROC %.3f)",
                        self.selection_auroc_[self.head_name_])
        self.platt_ = PlattCalibrator().fit(self.validation_p_, self.validation_y_)
        self.isotonic_ = IsotonicCalibrator().fit(self.validation_p_, self.validation_y_)
        self.calibrator_name_, self.calibrator_ = choose_calibrator(self.calibration, self.platt_, self.isotonic_)
        self.calibration_prior_ = float(np.mean(self.validation_y_))
        self.prior_shift_validation_ = self._prior_shift_check()
        self.fit_years_ = (int(years.min()), int(years.max()))
        self.calibration_years_ = (int(self.validation_years_.min()), int(self.validation_years_.max()))
        residual = y - self.calibrate(self.head_.predict_proba(X)[:, 1])
        cycle = Ridge(alpha=1.0).fit(X[CYCLE_FEATURES].to_numpy(), residual)
        self.cycle_coef_ = np.asarray(cycle.coef_, dtype=float)
        self.cycle_intercept_ = np.array([float(cycle.intercept_)])
        # kept for persistence: the heads are re-fitted from exactly these arrays on load
        self.training_X_ = X.to_numpy(dtype=float)
        self.training_y_ = y
        self.training_years_ = years

    def _prior_shift_check(self) -> dict:
        """Leave one validation year out: Platt fitted on the other years' out-of-time predictions,
        ECE on the left-out year with and without the EM prior-shift correction."""
        without, with_shift = [], []
        for year in np.unique(self.validation_years_):
            held = self.validation_years_ == year
            rest = ~held
            if len(np.unique(self.validation_y_[rest])) < 2 or held.sum() < 20:
                continue
            platt = PlattCalibrator().fit(self.validation_p_[rest], self.validation_y_[rest])
            p = platt.predict(self.validation_p_[held])
            _, shifted = prior_shift(p, float(np.mean(self.validation_y_[rest])))
            without.append(expected_calibration_error(self.validation_y_[held], p))
            with_shift.append(expected_calibration_error(self.validation_y_[held], shifted))
        if not without:
            return {"ece_without": None, "ece_with": None, "years": 0}
        return {"ece_without": float(np.mean(without)), "ece_with": float(np.mean(with_shift)), "years": len(without)}

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
        with single_thread_for(self.head_name_):
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
        return {**params, "candidates": tuple(params.get("candidates", ("logit", "gbm", "ens")))}

    def _learned_arrays(self) -> dict[str, Any]:
        # the training matrix holds NaN on purpose (missing history); it is data, not learned numbers
        return {"cycle_coef": self.cycle_coef_, "cycle_intercept": self.cycle_intercept_}

    def _save_state(self, folder: Path) -> list[str]:
        names = list(self.selection_auroc_)
        save_npz(folder / TRAINING_FILE, {
            "X": self.training_X_, "y": self.training_y_, "years": self.training_years_,
            "columns": np.array(self.feature_names_, dtype=str), "head": np.array([self.head_name_], dtype=str),
            "selection_names": np.array(names, dtype=str),
            "selection_auroc": np.array([self.selection_auroc_[n] for n in names], dtype=float),
            "validation_p": self.validation_p_, "validation_y": self.validation_y_,
            "validation_years": self.validation_years_})
        return [TRAINING_FILE]

    def _load_state(self, folder: Path, record: dict[str, Any]) -> None:
        """Re-fit the chosen head on the saved training rows (no re-selection: the validation
        predictions it was chosen and calibrated on are saved with them)."""
        arrays = load_npz(folder / TRAINING_FILE, "casting actor head training arrays")
        try:
            X = pd.DataFrame(arrays["X"], columns=[str(c) for c in arrays["columns"]])
            self.feature_names_ = list(X.columns)
            self.head_name_ = str(arrays["head"][0])
            self.selection_auroc_ = {str(n): float(v) for n, v in zip(arrays["selection_names"],
                                                                        arrays["selection_auroc"])}
            self.validation_p_ = np.asarray(arrays["validation_p"], dtype=float)
            self.validation_y_ = np.asarray(arrays["validation_y"], dtype=int)
            self.validation_years_ = np.asarray(arrays["validation_years"], dtype=int)
            with single_thread():
                self._finish(X, np.asarray(arrays["y"], dtype=int), np.asarray(arrays["years"], dtype=int))
        except (KeyError, ValueError, IndexError) as exc:
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
