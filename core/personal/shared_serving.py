"""Serving the shared taste model to one profile: its labels are the known set, nothing is trained.

Every function takes the loaded ``SharedTasteModel``, a loaded ``Catalog``, the labels store and
the profile. A profile linked to a catalog rater (``label --from-user``) is served from signals
built without that rater, so their own ratings never stand in for the crowd.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.personal.features import content_features
from core.personal.labels import WOULD_NOT_WATCH
from core.personal.shared import MIN_KNOWN_FOR_PERSONAL, SharedTasteModel, learning_curve
from core.personal.signals import CatalogSignals, build_signals
from core.personal.store import LabelStore

RECOMMENDATION_COLUMNS = ["rank", "title", "year", "p_watch", "reason", "flag"]
SIMILAR_ENOUGH = 0.15        # adjusted cosine of ratings: a liked film at least this close is a reason
LOVED_BY_CROWD = 0.7         # share of the crowd's ratings that are "liked"
_SIGNALS_WITHOUT: dict[tuple, CatalogSignals] = {}


def profile_signals(model: SharedTasteModel, catalog, store: LabelStore, profile: str) -> CatalogSignals:
    """The model's signals, or (for a profile linked to a catalog rater) signals without that rater."""
    user = store.linked_user(profile, catalog.name)
    if user is None or user in model.signals_.excluded_users:
        return model.signals_
    key = (catalog.name, catalog.data_checksum, int(user), model.signals_.parameters.get("like_threshold"))
    if key not in _SIGNALS_WITHOUT:
        _SIGNALS_WITHOUT.clear()  # one at a time: each holds two item×item matrices
        _SIGNALS_WITHOUT[key] = build_signals(catalog.ratings, catalog.movies, content=content_features(catalog),
                                              exclude_users=[user], like_threshold=model.like_threshold,
                                              seed=model.seed)
    return _SIGNALS_WITHOUT[key]


def _known(store: LabelStore, profile: str, catalog_name: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    labels = store.labels(profile, catalog_name)
    return labels, labels["movie_id"].to_numpy(dtype=np.int64), (labels["label"] != WOULD_NOT_WATCH).to_numpy(dtype=int)


def shared_scores(model: SharedTasteModel, catalog, store: LabelStore, profile: str) -> pd.Series:
    """P(would watch) for every film of the catalog (index movie_id), from the profile's labels."""
    signals = profile_signals(model, catalog, store, profile)
    _, ids, liked = _known(store, profile, catalog.name)
    films = catalog.movies["movie_id"].to_numpy(dtype=np.int64)
    return pd.Series(model.predict_flagged(ids, liked, films, signals=signals).values, index=pd.Index(films, name="movie_id"))


def shared_explain(model: SharedTasteModel, catalog, store: LabelStore, profile: str, movie_id: int) -> dict[str, Any]:
    """P(would watch) for one title with its flag and a short reason."""
    signals = profile_signals(model, catalog, store, profile)
    labels, ids, liked = _known(store, profile, catalog.name)
    movie_id = int(movie_id)
    predicted = model.predict_flagged(ids, liked, [movie_id], signals=signals)
    titles = catalog.movies.set_index("movie_id")["title"]
    return {"movie_id": movie_id, "p_watch": float(predicted.values[0]), "flag": str(predicted.flags[0]),
            "reason": _reasons(signals, ids, liked, np.array([movie_id]), titles)[0],
            "n_labels": int(len(ids)), "cold_start": len(ids) < MIN_KNOWN_FOR_PERSONAL}


def shared_recommend(model: SharedTasteModel, catalog, store: LabelStore, profile: str, top: int = 20) -> pd.DataFrame:
    """Unlabeled, not excluded titles ranked by P(would watch) under the shared model.

    Columns ``rank, title, year, p_watch, reason, flag``; the index is ``movie_id`` (not for show)."""
    signals = profile_signals(model, catalog, store, profile)
    labels, ids, liked = _known(store, profile, catalog.name)
    excluded = set(store.exclusions(profile, catalog.name)["movie_id"])
    films = catalog.movies["movie_id"].to_numpy(dtype=np.int64)
    films = films[~np.isin(films, list(set(ids) | excluded))]
    if len(films) == 0:
        return pd.DataFrame(columns=RECOMMENDATION_COLUMNS, index=pd.Index([], name="movie_id", dtype="int64"))
    predicted = model.predict_flagged(ids, liked, films, signals=signals)
    order = np.lexsort((films, -predicted.values))[:top]
    chosen = films[order]
    movies = catalog.movies.set_index("movie_id")
    frame = pd.DataFrame({"rank": np.arange(1, len(chosen) + 1), "title": movies["title"].reindex(chosen).to_numpy(),
                          "year": movies["year"].reindex(chosen).astype("Int64").to_numpy(),
                          "p_watch": predicted.values[order].round(4),
                          "reason": _reasons(signals, ids, liked, chosen, movies["title"]),
                          "flag": [str(f) for f in predicted.flags[order]]},
                         index=pd.Index(chosen, name="movie_id"))
    return frame


def _reasons(signals: CatalogSignals, ids: np.ndarray, liked: np.ndarray, films: np.ndarray, titles: pd.Series) -> list[str]:
    """Per film: the liked title it is most like (by the crowd's ratings) and whether the crowd loves it."""
    liked_ids = ids[liked == 1]
    liked_core = signals.core_position[signals.positions(liked_ids)] if len(liked_ids) else np.zeros(0, dtype=np.int64)
    liked_ids, liked_core = liked_ids[liked_core >= 0], liked_core[liked_core >= 0]
    positions = signals.positions(films)
    reasons = []
    for film, position in zip(films, positions):
        parts = []
        core = signals.core_position[position]
        if core >= 0 and len(liked_core):
            sims = signals.similarity[core, liked_core]
            best = int(np.argmax(sims))
            if sims[best] >= SIMILAR_ENOUGH and liked_ids[best] != film:
                parts.append(f"like {titles.get(int(liked_ids[best]), 'a film you liked')}")
        if signals.crowd[position, 1] >= LOVED_BY_CROWD:
            parts.append("loved by the crowd")
        reasons.append("; ".join(parts) or "fits your labels")
    return reasons


def label_curve(model: SharedTasteModel, catalog, store: LabelStore, profile: str) -> pd.DataFrame:
    """How the shared model's cross-validated ROC-AUC on this profile's labels grew with their
    number (labels in the order they were given), with the crowd's AUC on the same labels."""
    signals = profile_signals(model, catalog, store, profile)
    labels = store.labels(profile, catalog.name).sort_values(["labeled_at", "movie_id"], kind="stable")
    return learning_curve(model, labels, signals=signals)
