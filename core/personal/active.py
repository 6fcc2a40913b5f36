"""Which title to label next: popular first, random, or most uncertain under a quick model.

The queue is a pure function of the store's state (labels, skips, exclusions) and a seed, so a
page that reruns shows the same title until the person acts. Skipped titles leave the queue
(they come back once everything else is done) but never count as "would not watch".
"""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from core.personal.labels import WOULD_NOT_WATCH

log = logging.getLogger(__name__)

# The first is the default. Simulated on held-out MovieLens users with the shared model
# (benchmarks/bench_newlabeler.py), the random queue learned fastest (highest mean AUC over 10, 20,
# 50 and 100 labels on ML-100K and latest-small), ahead of most-uncertain and popular-first; the
# differences are small (≤ 0.01 AUC).
STRATEGIES = {
    "random": "Random (learns fastest)",
    "uncertain": "Most uncertain (active learning)",
    "popular": "Popular first",
}
DEFAULT_STRATEGY = next(iter(STRATEGIES))
MIN_PER_CLASS_FOR_UNCERTAINTY = 5


def popularity_order(movies: pd.DataFrame, ratings: pd.DataFrame | None = None) -> pd.Series:
    """A popularity score per film (index movie_id): the best-filled of popularity, vote count
    or number of catalog ratings."""
    index = pd.Index(movies["movie_id"].astype("int64"))
    candidates = [pd.Series(pd.to_numeric(movies[c], errors="coerce").to_numpy(), index=index)
                  for c in ("popularity", "vote_count")]
    if ratings is not None and len(ratings):
        candidates.append(ratings.groupby("movie_id").size().reindex(index).astype(float))
    best = max(candidates, key=lambda s: s.notna().sum())
    return best.fillna(-1.0)


def queue(movies: pd.DataFrame, *, strategy: str, labeled: set[int], skipped: set[int], excluded: set[int],
          popularity: pd.Series, scores: pd.Series | None = None, seed: int = 0, n: int = 10) -> pd.DataFrame:
    """The next ``n`` titles to label with the reason each is there (``movie_id``, ``why``)."""
    if strategy not in STRATEGIES:
        from core.errors import MarqueeError
        raise MarqueeError(f"unknown queue strategy {strategy!r}: expected one of {', '.join(STRATEGIES)}")
    ids = pd.Index(movies["movie_id"].astype("int64"))
    pool = ids[~ids.isin(list(labeled | excluded))]
    fresh = pool[~pool.isin(list(skipped))]
    if len(fresh) == 0:
        fresh = pool  # everything seen once: offer the skipped titles again
    pop = popularity.reindex(fresh).fillna(-1.0)
    if strategy == "uncertain" and scores is not None:
        p = scores.reindex(fresh)
        uncertainty = 1.0 - (2.0 * p - 1.0).abs()
        frame = pd.DataFrame({"movie_id": fresh, "uncertainty": uncertainty.to_numpy(), "pop": pop.to_numpy(),
                              "p_watch": p.to_numpy()})
        frame = frame.sort_values(["uncertainty", "pop"], ascending=[False, False], na_position="last").head(n)
        frame["why"] = [f"model unsure: P(would watch) = {v:.2f}" for v in frame["p_watch"]]
        return frame[["movie_id", "why"]].reset_index(drop=True)
    if strategy == "random":
        # one permutation of the whole catalog per seed, filtered: labeling a title never reshuffles the rest
        shuffled = ids[np.random.default_rng(seed).permutation(len(ids))]
        return pd.DataFrame({"movie_id": shuffled[shuffled.isin(fresh)][:n], "why": "random pick"})
    frame = pd.DataFrame({"movie_id": fresh, "pop": pop.to_numpy()}).sort_values(
        ["pop", "movie_id"], ascending=[False, True]).head(n)
    frame["why"] = "popular"
    return frame[["movie_id", "why"]].reset_index(drop=True)


def uncertainty_scores(features, labels: pd.DataFrame) -> pd.Series | None:
    """P(would watch) for every film from a quick model on the current labels (no CV, no grid);
    None while there are fewer than ``MIN_PER_CLASS_FOR_UNCERTAINTY`` labels of each side."""
    from core.personal.model import TasteModel

    y = np.where(labels["label"] == WOULD_NOT_WATCH, WOULD_NOT_WATCH, "would_watch")
    if min((y == WOULD_NOT_WATCH).sum(), (y != WOULD_NOT_WATCH).sum()) < MIN_PER_CLASS_FOR_UNCERTAINTY:
        return None
    model = TasteModel(n_estimators=120, max_depth=3, encoding_folds=3).fit(features.frame(labels["movie_id"]), y)
    everything = features.frame()
    return pd.Series(model.watch_probability(everything), index=everything.index)
