"""Training a profile's taste model: targets from labels, grid search with stratified CV, refit on
every label, save as the profile's new champion (see ``core.personal.trained``)."""
from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from core.artifacts import ArtifactStore
from core.errors import MarqueeError
from core.personal.evaluate import error_lists, grid_search
from core.personal.features import build_item_features, content_features
from core.personal.labels import WOULD_NOT_WATCH, WOULD_WATCH, WOULD_WATCH_MANY, validate_profile
from core.personal.model import TasteModel, watch_probability
from core.personal.store import LabelStore
from core.personal.shared import COMBINERS, SharedTasteModel
from core.personal.trained import save_shared, save_trained
from core.progress import ProgressFn, null_progress

log = logging.getLogger(__name__)

DEFAULT_GRID = {"max_depth": [1, 2, 3], "learning_rate": [0.02, 0.05]}
THREE_WAY_MODES = ("auto", "binary", "three-way")
MIN_MANY_FOR_THREE_WAY = 10


def training_targets(labels: pd.DataFrame, three_way: str = "auto", n_splits: int = 5) -> tuple[np.ndarray, str]:
    """The target vector and the mode actually used ("binary" or "three-way")."""
    if three_way not in THREE_WAY_MODES:
        raise MarqueeError(f"unknown three-way mode {three_way!r}: expected one of {', '.join(THREE_WAY_MODES)}")
    y = labels["label"].to_numpy(dtype=object)
    n_many = int((y == WOULD_WATCH_MANY).sum())
    n_once = int((y == WOULD_WATCH).sum())
    use_three = three_way == "three-way" or (three_way == "auto" and n_many >= max(MIN_MANY_FOR_THREE_WAY, n_splits)
                                              and n_once >= n_splits)
    if use_three and min(n_many, n_once) < n_splits:
        raise MarqueeError(f"three-way training needs at least {n_splits} 'would watch' and {n_splits} "
                           f"'would watch many times' labels (have {n_once} and {n_many})")
    if not use_three:
        y = np.where(y == WOULD_WATCH_MANY, WOULD_WATCH, y).astype(object)
    n_neg, n_pos = int((y == WOULD_NOT_WATCH).sum()), int((y != WOULD_NOT_WATCH).sum())
    if min(n_neg, n_pos) < n_splits:
        raise MarqueeError(f"label more titles first: {n_splits}-fold cross-validation needs at least {n_splits} "
                           f"'would watch' and {n_splits} 'would not watch' labels (have {n_pos} and {n_neg})")
    return y, ("three-way" if use_three else "binary")


def train(profile: str, catalog, *, store: LabelStore, grid: dict[str, list] | None = None, n_splits: int = 5,
          three_way: str = "auto", text_source: str = "tfidf", seed: int = 0, progress: ProgressFn | None = None,
          artifacts: ArtifactStore | None = None) -> dict[str, Any]:
    """Grid-search with stratified CV, refit the best point on every label, save, return the report.

    ``catalog`` is a loaded ``Catalog``; the report says whether the model can be trusted
    (``reliable``, ``reliability_message``, ``labels_needed``)."""
    validate_profile(profile)
    progress = progress or null_progress
    labels = store.labels(profile, catalog.name)
    if labels.empty:
        raise MarqueeError(f"profile {profile!r} has no labels in catalog {catalog.name!r}: label some titles first")
    y, mode = training_targets(labels, three_way, n_splits)
    progress(0, None, "building features")
    exclude_user = store.linked_user(profile, catalog.name)
    features = build_item_features(catalog, text_source=text_source, exclude_user=exclude_user)
    X = features.frame(labels["movie_id"])
    search = grid_search(X, y, DEFAULT_GRID if grid is None else grid, base_params={"random_state": seed},
                         n_splits=n_splits, seed=seed, progress=progress)
    model = TasteModel(**search["best_params"]).fit(X, y)
    model.metrics_ = {k: search["metrics"][k] for k in ("roc_auc", "pr_auc", "brier", "accuracy")}
    model.data_checksum_ = catalog.data_checksum
    reliability = model.reliability()
    p_watch = watch_probability(search["oof_proba"], model.classes_)
    titles = labels["movie_id"].map(catalog.movies.set_index("movie_id")["title"]).fillna("")
    report = {
        "profile": profile, "catalog": catalog.name, "mode": mode, "n_labels": int(len(y)), "n_splits": n_splits,
        "metrics": search["metrics"], "best_params": search["best_params"], "grid": search["grid"],
        "text_source": text_source, "exclude_user": exclude_user,
        "feature_groups": {g: len(c) for g, c in features.groups.items()},
        "reliable": reliability.ok, "reliability_message": reliability.message,
        "labels_needed": reliability.labels_needed,
        **error_lists(labels["movie_id"], titles, y, p_watch),
    }
    oof = {"movie_id": labels["movie_id"].tolist(), "label": list(y), "p_watch": p_watch.round(6).tolist(),
           "classes": list(model.classes_), "proba": search["oof_proba"].round(6).tolist()}
    version = save_trained(profile, catalog, model, features, report, oof,
                           labels_version=store.version(profile, catalog.name), artifacts=artifacts)
    report["version"] = version.name
    progress(1, 1, "saved")
    return report


def train_shared(catalog, *, combiner: str = "auto", max_labelers: int | None = None, seed: int = 0,
                 progress: ProgressFn | None = None, artifacts: ArtifactStore | None = None) -> dict[str, Any]:
    """Fit the catalog's shared taste model (simulated labelers from its raters) and save it as the
    champion. Needs a catalog with ratings; returns the validation report."""
    if combiner not in ("auto", *COMBINERS):
        raise MarqueeError(f"combiner {combiner!r}: expected auto, {', '.join(COMBINERS)}")
    if catalog.ratings.empty:
        raise MarqueeError(f"catalog {catalog.name!r} has no ratings: the shared model learns from other people's "
                           "ratings (import MovieLens ratings, or train a per-profile model instead)")
    progress = progress or null_progress
    progress(0, None, "content features")
    model = SharedTasteModel(combiner=combiner, max_labelers=max_labelers, seed=seed)
    model.fit(catalog, content=content_features(catalog), progress=progress)
    version = save_shared(model, catalog, artifacts=artifacts)
    progress(1, 1, "saved")
    return {"catalog": catalog.name, "version": version.name, "labelers": model.labelers_,
            "combiner": model.combiner_["kind"], "selection": model.selection_, "metrics": model.metrics_}
