"""``TasteModel``: the "would I watch it?" classifier (scikit-learn conventions over XGBoost).

Input is a DataFrame from ``ItemFeatures.frame``: numeric columns plus ``directors``/``cast`` id
lists. ``fit`` target-encodes the people on the training rows only (training rows get
cross-fitted encodings so a film's own label never feeds its own feature), standardises every
column with means/stds learned on the training rows, and trains an XGBoost booster: binary
when two label classes are present, multi-class (``multi:softprob``) for three.

Follows the one model contract (``core.models.Model``): saved as plain files, never pickled —
``booster.json`` (XGBoost's JSON), ``normalisation.json`` (feature order, means/stds, people
encodings, classes, prior) and ``model.json`` (kind, parameters, metrics, checksums).
``predict_flagged`` marks every prediction of a model too weak to trust (see
``core.personal.guards``) with ``Flag.UNRELIABLE_MODEL`` and a film with no known feature with
``Flag.MISSING_FEATURES``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.model_selection import StratifiedKFold

from core.errors import MarqueeError
from core.io import atomic_path, read_json, write_json_atomic
from core.models import Flag, Model, ModelIntegrityError, Predictions, flags_array
from core.personal.features import PEOPLE_COLUMNS
from core.personal.guards import Reliability, assess
from core.personal.labels import LABELS, WOULD_NOT_WATCH

BOOSTER_FILE, NORMALISATION_FILE = "booster.json", "normalisation.json"


class TasteModel(ClassifierMixin, Model):
    """XGBoost classifier over catalog features with in-fold people target encoding.

    Defaults (shallow trees, slow learning rate, half the columns per tree) were chosen on a
    sample of MovieLens latest-small users, not on the ML-100K users the benchmark reports.
    """

    kind = "personal"
    fitted_attribute = "booster_"

    def __init__(self, n_estimators: int = 400, max_depth: int = 2, learning_rate: float = 0.02,
                 subsample: float = 0.8, colsample_bytree: float = 0.5, min_child_weight: float = 2.0,
                 reg_lambda: float = 1.0, encoding_smoothing: float = 5.0, encoding_folds: int = 5,
                 prior_features: tuple[str, ...] = ("cf_mean_rating", "vote_average"), prior_C: float = 1.0,
                 n_jobs: int = 1, random_state: int = 0):
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.min_child_weight = min_child_weight
        self.reg_lambda = reg_lambda
        self.encoding_smoothing = encoding_smoothing
        self.encoding_folds = encoding_folds
        self.prior_features = prior_features
        self.prior_C = prior_C
        self.n_jobs = n_jobs
        self.random_state = random_state

    # ------------------------------------------------------------------ fit / predict
    def fit(self, X: pd.DataFrame, y) -> "TasteModel":
        import xgboost as xgb

        y = np.asarray(y, dtype=object)
        present = [label for label in LABELS if label in set(y)]
        unknown = set(y) - set(LABELS)
        if unknown:
            raise MarqueeError(f"unknown labels {sorted(map(str, unknown))}: expected {', '.join(LABELS)}")
        if WOULD_NOT_WATCH not in present or len(present) < 2:
            raise MarqueeError("training needs both 'would not watch' and 'would watch' labels")
        self.classes_ = np.array(present, dtype=object)
        self.class_counts_ = {label: int((y == label).sum()) for label in present}
        codes = np.array([present.index(label) for label in y])
        self.numeric_columns_ = [c for c in X.columns if c not in PEOPLE_COLUMNS]
        watch = (codes > 0).astype(float)
        encoded_train = self._cross_fitted_encodings(X, watch)
        self.prior_ = float(watch.mean())
        self.encodings_ = {column: self._fit_encoding(X[column], watch) for column in PEOPLE_COLUMNS if column in X}
        matrix = pd.concat([X[self.numeric_columns_].astype(float).reset_index(drop=True), encoded_train], axis=1)
        self.feature_names_ = list(matrix.columns)
        self.means_ = matrix.mean().fillna(0.0).to_numpy(dtype=float)
        self.stds_ = matrix.std().replace(0, 1.0).fillna(1.0).to_numpy(dtype=float)
        normalised = self._normalise(matrix)
        self._fit_prior(normalised, codes)
        dtrain = xgb.DMatrix(normalised, label=codes, feature_names=self.feature_names_,
                             base_margin=self._prior_margin(normalised))
        self.booster_ = xgb.train(self._xgb_params(), dtrain, num_boost_round=self.n_estimators)
        return self

    # ------------------------------------------------------------------ crowd prior (base margin)
    def _fit_prior(self, normalised: pd.DataFrame, codes: np.ndarray) -> None:
        """A small logistic regression on the label-free quality signals (others' mean rating, vote
        average) gives every title its starting log-odds; the trees learn the personal deviations."""
        from sklearn.linear_model import LogisticRegression

        self.prior_columns_ = list(dict.fromkeys(
            c for pattern in (self.prior_features or ()) for c in normalised.columns
            if c == pattern or (pattern.endswith("*") and c.startswith(pattern[:-1]))))
        self.prior_coef_, self.prior_intercept_ = np.zeros((0, 0)), np.zeros(0)
        if not self.prior_columns_:
            return
        lr = LogisticRegression(C=self.prior_C, max_iter=1000).fit(normalised[self.prior_columns_].fillna(0.0), codes)
        self.prior_coef_ = np.asarray(lr.coef_, dtype=float)
        self.prior_intercept_ = np.asarray(lr.intercept_, dtype=float)

    def _prior_terms(self, normalised: pd.DataFrame) -> np.ndarray | None:
        """(rows, classes or 1, prior columns) linear terms of the prior; None without a prior."""
        if not self.prior_columns_:
            return None
        values = normalised[self.prior_columns_].fillna(0.0).to_numpy()
        return values[:, None, :] * np.asarray(self.prior_coef_)[None, :, :]

    def _prior_margin(self, normalised: pd.DataFrame) -> np.ndarray | None:
        terms = self._prior_terms(normalised)
        if terms is None:
            return None
        margin = terms.sum(axis=2) + np.asarray(self.prior_intercept_)[None, :]
        return margin[:, 0] if margin.shape[1] == 1 else margin

    def _xgb_params(self) -> dict:
        params = {"eta": self.learning_rate, "max_depth": self.max_depth, "subsample": self.subsample,
                  "colsample_bytree": self.colsample_bytree, "min_child_weight": self.min_child_weight,
                  "lambda": self.reg_lambda, "nthread": self.n_jobs, "seed": self.random_state,
                  "tree_method": "hist", "verbosity": 0}
        if len(self.classes_) > 2:
            params.update(objective="multi:softprob", num_class=len(self.classes_))
        else:
            params.update(objective="binary:logistic")
        return params

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """The normalised feature matrix the booster sees (people encoded with the full-fit maps)."""
        self.check_fitted()
        missing = [c for c in self.numeric_columns_ if c not in X.columns]
        if missing:
            raise MarqueeError(f"features missing for prediction: {', '.join(missing[:5])}")
        encoded = pd.concat([self._apply_encoding(X[c], self.encodings_[c], c) for c in self.encodings_], axis=1) \
            if self.encodings_ else pd.DataFrame(index=range(len(X)))
        matrix = pd.concat([X[self.numeric_columns_].astype(float).reset_index(drop=True), encoded], axis=1)
        return self._normalise(matrix[self.feature_names_])

    def _dmatrix(self, X: pd.DataFrame):
        import xgboost as xgb

        normalised = self.transform(X)
        return xgb.DMatrix(normalised, feature_names=self.feature_names_, base_margin=self._prior_margin(normalised))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        self.check_fitted()
        raw = self.booster_.predict(self._dmatrix(X))
        if len(self.classes_) == 2:
            return np.column_stack([1.0 - raw, raw])
        return raw

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def watch_probability(self, X: pd.DataFrame) -> np.ndarray:
        """P(would watch, once or many times)."""
        return watch_probability(self.predict_proba(X), self.classes_)

    def reliability(self) -> Reliability:
        """Whether this model may be trusted: enough labels of each side and, once its
        cross-validated ROC-AUC is known (``metrics_``), better than chance."""
        self.check_fitted()
        return assess(self.class_counts_, (getattr(self, "metrics_", None) or {}).get("roc_auc"))

    def predict_flagged(self, X: pd.DataFrame) -> Predictions:
        """P(would watch) with a flag per film: ``unreliable_model`` for every film when the model is
        too weak to trust; else ``missing_features`` for a film without any known feature."""
        p = self.watch_probability(X)
        if not self.reliability().ok:
            return Predictions(p, flags_array(len(p), Flag.UNRELIABLE_MODEL))
        numeric = X[self.numeric_columns_].astype(float)
        people = [X[c].map(len).to_numpy() > 0 for c in PEOPLE_COLUMNS if c in X]
        known = numeric.notna().any(axis=1).to_numpy() | np.logical_or.reduce(people, initial=False)
        return Predictions(p, np.where(known, Flag.OK, Flag.MISSING_FEATURES).astype(object))

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per-feature SHAP contributions to the log-odds (binary) or, for three classes, to the
        margin of "would not watch" with the sign flipped (positive = pushes towards watching)."""
        self.check_fitted()
        contribs = self.booster_.predict(self._dmatrix(X), pred_contribs=True)
        terms = self._prior_terms(self.transform(X))  # the prior's exact linear share per feature
        if terms is not None:
            columns = [self.feature_names_.index(c) for c in self.prior_columns_]
            if contribs.ndim == 3:
                contribs[:, :, columns] += terms
            else:
                contribs[:, columns] += terms[:, 0, :]
        if contribs.ndim == 3:
            contribs = -contribs[:, 0, :]
        return pd.DataFrame(contribs[:, :-1], columns=self.feature_names_, index=X.index)

    # ------------------------------------------------------------------ people encodings
    def _fit_encoding(self, lists: pd.Series, watch: np.ndarray) -> dict[int, float]:
        rows, persons = _pairs(lists)
        if len(persons) == 0:
            return {}
        prior = float(watch.mean())
        ids, inverse = np.unique(persons, return_inverse=True)
        sums = np.bincount(inverse, weights=watch[rows], minlength=len(ids))
        counts = np.bincount(inverse, minlength=len(ids))
        values = (sums + self.encoding_smoothing * prior) / (counts + self.encoding_smoothing) - prior
        return dict(zip(ids.tolist(), values.tolist()))

    @staticmethod
    def _apply_encoding(lists: pd.Series, mapping: dict[int, float], column: str) -> pd.DataFrame:
        n = len(lists)
        rows, persons = _pairs(lists)
        values = np.array([mapping.get(p, np.nan) for p in persons.tolist()], dtype=float)
        known = ~np.isnan(values)
        rows, values = rows[known], values[known]
        count = np.bincount(rows, minlength=n).astype(float)
        total = np.bincount(rows, weights=values, minlength=n)
        maximum = np.full(n, -np.inf)
        np.maximum.at(maximum, rows, values)
        has = count > 0
        return pd.DataFrame({f"{column}_te_mean": np.where(has, total / np.where(has, count, 1.0), 0.0),
                             f"{column}_te_max": np.where(has, maximum, 0.0),
                             f"{column}_known": count})

    def _cross_fitted_encodings(self, X: pd.DataFrame, watch: np.ndarray) -> pd.DataFrame:
        columns = [c for c in PEOPLE_COLUMNS if c in X]
        parts = {c: [] for c in columns}
        n_splits = min(self.encoding_folds, int(np.bincount(watch.astype(int)).min()))
        if n_splits < 2:
            # Too few of one class to cross-fit: encode nothing rather than leak.
            return pd.concat([self._apply_encoding(X[c], {}, c) for c in columns], axis=1) if columns else pd.DataFrame(index=range(len(X)))
        folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=self.random_state)
        for fit_idx, enc_idx in folds.split(np.zeros(len(watch)), watch):
            for c in columns:
                mapping = self._fit_encoding(X[c].iloc[fit_idx], watch[fit_idx])
                part = self._apply_encoding(X[c].iloc[enc_idx], mapping, c)
                part.index = enc_idx
                parts[c].append(part)
        encoded = [pd.concat(parts[c]).sort_index() for c in columns]
        return pd.concat(encoded, axis=1) if encoded else pd.DataFrame(index=range(len(X)))

    def _normalise(self, matrix: pd.DataFrame) -> pd.DataFrame:
        means = pd.Series(self.means_, index=self.feature_names_)[matrix.columns]
        stds = pd.Series(self.stds_, index=self.feature_names_)[matrix.columns]
        return (matrix - means) / stds

    # ------------------------------------------------------------------ persistence (core.models)
    def library_names(self) -> tuple[str, ...]:
        return ("scikit-learn", "xgboost")

    @classmethod
    def _params_from_record(cls, params: dict[str, Any]) -> dict[str, Any]:
        return {**params, "prior_features": tuple(params.get("prior_features") or ())}

    def _learned_arrays(self) -> dict[str, Any]:
        arrays = {"means": self.means_, "stds": self.stds_, "prior_coef": self.prior_coef_,
                  "prior_intercept": self.prior_intercept_, "prior_rate": np.array([self.prior_])}
        arrays.update({f"encoding {c}": np.fromiter(m.values(), dtype=float, count=len(m))
                       for c, m in self.encodings_.items()})
        return arrays

    def _save_state(self, folder: Path) -> list[str]:
        with atomic_path(folder / BOOSTER_FILE) as tmp:
            self.booster_.save_model(str(tmp.with_suffix(".json")))  # XGBoost picks the format by suffix
            tmp.with_suffix(".json").replace(tmp)
        write_json_atomic(folder / NORMALISATION_FILE, {
            "feature_names": self.feature_names_, "numeric_columns": self.numeric_columns_,
            "means": self.means_.tolist(), "stds": self.stds_.tolist(), "classes": list(self.classes_),
            "class_counts": self.class_counts_, "prior_rate": self.prior_,
            "encodings": {c: {str(k): v for k, v in m.items()} for c, m in self.encodings_.items()},
            "prior": {"columns": self.prior_columns_, "coef": self.prior_coef_.tolist(),
                      "intercept": self.prior_intercept_.tolist()},
        })
        return [BOOSTER_FILE, NORMALISATION_FILE]

    def _load_state(self, folder: Path, record: dict[str, Any]) -> None:
        import xgboost as xgb

        try:
            state = read_json(folder / NORMALISATION_FILE)
            self.feature_names_ = list(state["feature_names"])
            self.numeric_columns_ = list(state["numeric_columns"])
            self.means_ = np.asarray(state["means"], dtype=float)
            self.stds_ = np.asarray(state["stds"], dtype=float)
            self.classes_ = np.array(state["classes"], dtype=object)
            self.class_counts_ = {str(k): int(v) for k, v in state["class_counts"].items()}
            self.prior_ = float(state["prior_rate"])
            self.prior_columns_ = list(state["prior"]["columns"])
            self.prior_coef_ = (np.asarray(state["prior"]["coef"], dtype=float).reshape(-1, len(self.prior_columns_))
                                if self.prior_columns_ else np.zeros((0, 0)))
            self.prior_intercept_ = np.asarray(state["prior"]["intercept"], dtype=float)
            self.encodings_ = {c: {int(k): float(v) for k, v in m.items()} for c, m in state["encodings"].items()}
            booster = xgb.Booster()
            booster.load_model(str(folder / BOOSTER_FILE))
        except (KeyError, TypeError, ValueError, xgb.core.XGBoostError) as exc:
            raise ModelIntegrityError(f"{folder}: the saved taste model is incomplete ({type(exc).__name__}: "
                                      f"{str(exc)[:80]}); train the profile again") from None
        self.booster_ = booster


def _pairs(lists: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(row position, person id) for every person in every row's list."""
    values = [v if isinstance(v, (list, tuple, np.ndarray)) else [] for v in lists.tolist()]
    lengths = np.fromiter((len(v) for v in values), dtype=np.int64, count=len(values))
    rows = np.repeat(np.arange(len(values)), lengths)
    persons = np.fromiter((int(p) for v in values for p in v), dtype=np.int64, count=int(lengths.sum()))
    return rows, persons


def watch_probability(proba: np.ndarray, classes) -> np.ndarray:
    """Sum of the probabilities of every "would watch" class."""
    classes = list(classes)
    return proba[:, [i for i, c in enumerate(classes) if c != WOULD_NOT_WATCH]].sum(axis=1)
