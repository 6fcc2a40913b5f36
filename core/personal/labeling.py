"""Labeling: the queue of titles to judge next, labels from a catalog user's ratings, and the
counts a labeling page shows. Functions take a ``LabelStore`` and a loaded ``Catalog``."""
from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pandas as pd

from core.errors import MarqueeError
from core.personal import active
from core.personal.features import build_item_features
from core.personal.labels import LABELS, WOULD_NOT_WATCH, WOULD_WATCH, WOULD_WATCH_MANY
from core.personal.store import LabelStore
from core.validation import finite_float, identifier


def import_user_ratings(store: LabelStore, profile: str, catalog, user_id: int, threshold: float = 4.0,
                        many_threshold: float | None = None) -> dict[str, int]:
    """Turn a catalog user's ratings into labels (rating ≥ threshold → would watch, else would not;
    ≥ many_threshold → would watch many times) and link the profile to that user so the model's
    collaborative features leave the user's own ratings out."""
    user_id = identifier(user_id, "user_id")
    threshold = finite_float(threshold, "threshold")
    if many_threshold is not None:
        many_threshold = finite_float(many_threshold, "many_threshold", low=threshold)
    ratings = catalog.ratings[catalog.ratings["user_id"] == user_id]
    if ratings.empty:
        raise MarqueeError(f"catalog {catalog.name!r} has no ratings by user {user_id}")
    label = np.where(ratings["rating"] >= threshold, WOULD_WATCH, WOULD_NOT_WATCH).astype(object)
    if many_threshold is not None:
        label = np.where(ratings["rating"] >= many_threshold, WOULD_WATCH_MANY, label)
    titles = ratings["movie_id"].map(catalog.movies.set_index("movie_id")["title"])
    rows = [{"movie_id": int(m), "label": lab, "title": t if isinstance(t, str) else None,
             "labeled_at": ts.isoformat() if pd.notna(ts) else None}
            for m, lab, t, ts in zip(ratings["movie_id"], label, titles, ratings["timestamp"])]
    count = store.import_rows(profile, catalog.name, rows)
    store.link_user(profile, catalog.name, user_id)
    return {"imported": count, **{k: int((label == k).sum()) for k in LABELS}}


def next_titles(store: LabelStore, profile: str, catalog, strategy: str = active.DEFAULT_STRATEGY, n: int = 5,
                scores: pd.Series | None = None) -> pd.DataFrame:
    """The labeling queue for a profile (see ``core.personal.active``); stable until the store
    changes (and back after an undo). "uncertain" without ``scores`` (too few labels yet) serves popular titles."""
    labeled = set(store.labels(profile, catalog.name)["movie_id"])
    # One fixed random order per (profile, catalog): the queue depends only on what is labeled,
    # skipped or excluded, so an undo brings back exactly the title it took away.
    seed = zlib.crc32(f"{profile}|{catalog.name}".encode())
    return active.queue(catalog.movies, strategy=strategy, labeled=labeled,
                        skipped=store.skipped(profile, catalog.name),
                        excluded=set(store.exclusions(profile, catalog.name)["movie_id"]),
                        popularity=active.popularity_order(catalog.movies, catalog.ratings),
                        scores=scores, seed=seed, n=n)


def uncertainty_scores(store: LabelStore, profile: str, catalog, shared=None) -> pd.Series | None:
    """P(would watch) for every title, for the most-uncertain queue: from the catalog's shared
    model when given (it needs no training), else from a quick per-profile model (None until both
    sides have a few labels)."""
    if shared is not None:
        from core.personal.shared_serving import shared_scores

        return shared_scores(shared, catalog, store, profile)
    labels = store.labels(profile, catalog.name)
    features = build_item_features(catalog, exclude_user=store.linked_user(profile, catalog.name))
    return active.uncertainty_scores(features, labels)


def label_summary(store: LabelStore, profile: str, catalog_name: str) -> dict[str, Any]:
    """Counts per label, skips, and the share of "would watch" labels."""
    counts = store.counts(profile, catalog_name)
    labeled = sum(counts[k] for k in LABELS)
    positive = counts[WOULD_WATCH] + counts[WOULD_WATCH_MANY]
    return {"labeled": labeled, "skipped": counts["skip"], "counts": counts,
            "positive_share": positive / labeled if labeled else None}
