"""Stratified cross-validation, the hyper-parameter grid and the metrics of the taste model.

Everything label-dependent (people encodings, normalisation) is re-learned inside each fold by
``TasteModel.fit``, so out-of-fold probabilities are honest estimates.
"""
from __future__ import annotations

import itertools
import logging
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, confusion_matrix, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from core.metrics import brier_score, expected_calibration_error
from core.personal.model import TasteModel, watch_probability
from core.personal.labels import LABELS, WOULD_NOT_WATCH
from core.progress import ProgressFn, null_progress

log = logging.getLogger(__name__)


def present_classes(y) -> list[str]:
    values = set(y)
    return [label for label in LABELS if label in values]


def cross_val_proba(X: pd.DataFrame, y, params: dict[str, Any] | None = None, n_splits: int = 5,
                    seed: int = 0) -> np.ndarray:
    """Out-of-fold class probabilities (columns in ``present_classes(y)`` order)."""
    y = np.asarray(y, dtype=object)
    classes = present_classes(y)
    oof = np.zeros((len(y), len(classes)))
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    for train_idx, test_idx in folds.split(np.zeros(len(y)), y):
        model = TasteModel(**(params or {})).fit(X.iloc[train_idx], y[train_idx])
        proba = model.predict_proba(X.iloc[test_idx])
        oof[np.ix_(test_idx, [classes.index(c) for c in model.classes_])] = proba
    return oof


def classification_metrics(y, proba: np.ndarray) -> dict[str, Any]:
    """ROC-AUC and PR-AUC of "would watch" vs "would not watch", calibration and the confusion matrix."""
    y = np.asarray(y, dtype=object)
    classes = present_classes(y)
    watched = (y != WOULD_NOT_WATCH).astype(int)
    p_watch = watch_probability(proba, classes)
    predicted = np.array(classes, dtype=object)[np.argmax(proba, axis=1)]
    result = {
        "n": int(len(y)),
        "counts": {c: int((y == c).sum()) for c in classes},
        "roc_auc": float(roc_auc_score(watched, p_watch)),
        "pr_auc": float(average_precision_score(watched, p_watch)),
        "positive_rate": float(watched.mean()),
        "brier": brier_score(watched, p_watch),
        "ece": expected_calibration_error(watched, p_watch),
        "accuracy": float((predicted == y).mean()),
        "confusion_matrix": {"labels": classes,
                             "matrix": confusion_matrix(y, predicted, labels=classes).tolist()},
    }
    if len(classes) > 2:
        result["roc_auc_ovr_macro"] = float(roc_auc_score(
            np.array([classes.index(v) for v in y]), proba, multi_class="ovr", average="macro"))
    return result


def expand_grid(grid: dict[str, list]) -> list[dict[str, Any]]:
    keys = sorted(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


def grid_search(X: pd.DataFrame, y, grid: dict[str, list], base_params: dict[str, Any] | None = None,
                n_splits: int = 5, seed: int = 0, progress: ProgressFn | None = None) -> dict[str, Any]:
    """Stratified-CV every grid point; keep the best mean ROC-AUC (ties: the earlier, simpler point)."""
    progress = progress or null_progress
    candidates = expand_grid(grid) if grid else [{}]
    rows, best = [], None
    for i, point in enumerate(candidates):
        progress(i, len(candidates), f"grid point {i + 1}/{len(candidates)}: {point}")
        params = {**(base_params or {}), **point}
        proba = cross_val_proba(X, y, params, n_splits=n_splits, seed=seed)
        metrics = classification_metrics(y, proba)
        rows.append({**point, "roc_auc": metrics["roc_auc"], "pr_auc": metrics["pr_auc"], "brier": metrics["brier"]})
        if best is None or metrics["roc_auc"] > best["metrics"]["roc_auc"] + 1e-12:
            best = {"params": params, "point": point, "proba": proba, "metrics": metrics}
    progress(len(candidates), len(candidates), "grid done")
    return {"best_params": best["params"], "best_point": best["point"], "oof_proba": best["proba"],
            "metrics": best["metrics"], "grid": rows}


def error_lists(movie_ids, titles, y, p_watch, n: int = 10) -> dict[str, list[dict[str, Any]]]:
    """Out-of-fold false positives (declined, scored high) and false negatives (liked, scored low)."""
    frame = pd.DataFrame({"movie_id": np.asarray(movie_ids), "title": np.asarray(titles), "label": np.asarray(y),
                          "p_watch": np.round(np.asarray(p_watch, dtype=float), 4)})
    negatives = frame[(frame["label"] == WOULD_NOT_WATCH) & (frame["p_watch"] >= 0.5)]
    positives = frame[(frame["label"] != WOULD_NOT_WATCH) & (frame["p_watch"] < 0.5)]
    return {
        "false_positives": negatives.sort_values("p_watch", ascending=False).head(n).to_dict("records"),
        "false_negatives": positives.sort_values("p_watch").head(n).to_dict("records"),
    }


# ------------------------------------------------------------------------------ rating users as labelers
def catalog_user_labels(ratings: pd.DataFrame, user_id: int, threshold: float = 4.0) -> pd.DataFrame:
    """A catalog user's ratings as labels: rating ≥ ``threshold`` → would watch, else would not."""
    mine = ratings[ratings["user_id"] == user_id]
    return pd.DataFrame({"movie_id": mine["movie_id"].astype("int64").to_numpy(),
                         "label": np.where(mine["rating"] >= threshold, "would_watch", WOULD_NOT_WATCH).astype(object),
                         "rating": mine["rating"].to_numpy()})


def user_cv_benchmark(catalog, user_id: int, params: dict[str, Any] | None = None, n_splits: int = 5,
                      seed: int = 0, threshold: float = 4.0, text_source: str = "tfidf") -> dict[str, Any]:
    """Per-user stratified-CV ROC-AUC of the taste model against two label-free baselines.

    The user's own ratings are left out of the collaborative features and of the "mean rating of
    other users" baseline; the vote-average baseline uses the catalog's ``vote_average`` (missing
    values get the catalog median, so they neither help nor hurt).
    """
    from core.personal.features import build_item_features, collaborative_features

    labels = catalog_user_labels(catalog.ratings, user_id, threshold)
    y = labels["label"].to_numpy(dtype=object)
    watched = (y != WOULD_NOT_WATCH).astype(int)
    result = {"user_id": int(user_id), "n": int(len(y)), "positive_rate": float(watched.mean())}
    if min(watched.sum(), len(watched) - watched.sum()) < n_splits:
        return {**result, "skipped": "too few labels of one class"}
    features = build_item_features(catalog, text_source=text_source, exclude_user=user_id)
    X = features.frame(labels["movie_id"])
    proba = cross_val_proba(X, y, params, n_splits=n_splits, seed=seed)
    result["model_auc"] = float(roc_auc_score(watched, watch_probability(proba, present_classes(y))))
    votes = catalog.movies.set_index("movie_id")["vote_average"].astype(float)
    vote_scores = labels["movie_id"].map(votes)
    result["vote_average_auc"] = (float(roc_auc_score(watched, vote_scores.fillna(votes.median()).to_numpy()))
                                  if vote_scores.notna().any() else None)  # None: the catalog has no vote averages
    others = collaborative_features(catalog.ratings, pd.Index(labels["movie_id"]), n_factors=0, exclude_user=user_id)
    other_mean = others["cf_mean_rating"].reindex(labels["movie_id"]) if "cf_mean_rating" in others else pd.Series(np.nan, index=labels["movie_id"])
    result["others_mean_auc"] = float(roc_auc_score(watched, other_mean.fillna(other_mean.median()).fillna(0).to_numpy()))
    return result
