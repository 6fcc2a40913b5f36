"""Popularity fallback for cold-start users: a damped item mean with a minimum-votes floor.

The damped mean ``(Σ r + m·μ) / (n + m)`` shrinks films with few ratings towards the global mean
``μ`` so a film rated 5 once does not top the list; films with fewer than ``min_votes`` ratings
are never recommended (they can still be scored).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from core.errors import MarqueeError


class PopularityFallback(BaseEstimator):
    def __init__(self, min_votes: int = 10, damping: float = 10.0):
        self.min_votes = min_votes
        self.damping = damping

    def fit(self, ratings: pd.DataFrame) -> "PopularityFallback":
        if ratings.empty:
            raise MarqueeError("ratings: no rows to fit the popularity fallback on")
        stats = ratings.groupby("movie_id")["rating"].agg(["sum", "count"])
        self.set_stats(float(ratings["rating"].mean()), stats.index.to_numpy(), stats["sum"].to_numpy(float),
                       stats["count"].to_numpy(np.int64))
        return self

    def set_stats(self, mu: float, movie_ids: np.ndarray, sums: np.ndarray, counts: np.ndarray) -> "PopularityFallback":
        """Install learned statistics (used by ``fit`` and when loading saved arrays)."""
        self.mu_ = float(mu)
        self.movie_ids_ = np.asarray(movie_ids, dtype=np.int64)
        self.sums_ = np.asarray(sums, dtype=float)
        self.counts_ = np.asarray(counts, dtype=np.int64)
        self.scores_ = (self.sums_ + self.damping * self.mu_) / (self.counts_ + self.damping)
        self._index = pd.Index(self.movie_ids_)
        eligible = np.flatnonzero(self.counts_ >= self.min_votes)
        # Best damped mean first; ties broken by more votes, then by id, so the order is stable.
        order = np.lexsort((self.movie_ids_[eligible], -self.counts_[eligible], -self.scores_[eligible]))
        self.ranking_ = eligible[order]
        return self

    def predict(self, movie_ids) -> np.ndarray:
        """Damped mean of each film; the global mean for films never rated."""
        inner = self._index.get_indexer(np.asarray(movie_ids, dtype=np.int64))
        return np.where(inner >= 0, self.scores_[np.where(inner >= 0, inner, 0)], self.mu_)

    def top_n(self, n: int, seen: set | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` best eligible films not in ``seen``: (movie ids, scores)."""
        picked = []
        for inner in self.ranking_:
            if seen and int(self.movie_ids_[inner]) in seen:
                continue
            picked.append(inner)
            if len(picked) == n:
                break
        picked = np.asarray(picked, dtype=np.int64)
        return self.movie_ids_[picked], self.scores_[picked]
