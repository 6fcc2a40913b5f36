"""Popularity fallback for cold-start users: a damped item mean with a minimum-votes floor.

The damped mean ``(Σ r + m·μ) / (n + m)`` shrinks films with few ratings towards the global mean
``μ`` so a film rated 5 once does not top the list; films with fewer than ``min_votes`` ratings
are never recommended (they can still be scored). The cold-start *list* is most-rated first
(``rank_by="count"``, measured better for top-N than best damped mean, ``rank_by="mean"``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.errors import MarqueeError
from core.io import load_npz, save_npz
from core.models import Flag, Model, Predictions

STATS_FILE = "popularity.npz"
RANKINGS = ("count", "mean")  # the cold-start list: most-rated first, or best damped mean first


class PopularityFallback(Model):
    """Damped item means; films never rated are flagged ``unknown_item`` (scored as the mean)."""

    kind = "cf-popularity"
    fitted_attribute = "scores_"

    def __init__(self, min_votes: int = 10, damping: float = 10.0, rank_by: str = "count"):
        self.min_votes = min_votes
        self.damping = damping
        self.rank_by = rank_by

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
        if self.rank_by not in RANKINGS:
            raise MarqueeError(f"rank_by {self.rank_by!r}: use {' or '.join(RANKINGS)}")
        if self.rank_by == "count":
            # Most-rated first (ties: better damped mean, then id). On the ML-100K temporal split
            # a cold user's NDCG@10 is 0.254 with this list and 0.178 with the best-mean list.
            order = np.lexsort((self.movie_ids_[eligible], -self.scores_[eligible], -self.counts_[eligible]))
        else:  # best damped mean first; ties broken by more votes, then by id
            order = np.lexsort((self.movie_ids_[eligible], -self.counts_[eligible], -self.scores_[eligible]))
        self.ranking_ = eligible[order]
        return self

    def predict(self, movie_ids) -> np.ndarray:
        """Damped mean of each film; the global mean for films never rated."""
        return self.predict_flagged(movie_ids).values

    def predict_flagged(self, movie_ids) -> Predictions:
        """Damped means with a flag per film: ``unknown_item`` where the film was never rated."""
        self.check_fitted()
        inner = self._index.get_indexer(np.asarray(movie_ids, dtype=np.int64))
        known = inner >= 0
        values = np.where(known, self.scores_[np.where(known, inner, 0)], self.mu_)
        flags = np.where(known, Flag.OK, Flag.UNKNOWN_ITEM).astype(object)
        return Predictions(values, flags)

    def top_n(self, n: int, seen: set | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` best eligible films not in ``seen``: (movie ids, scores)."""
        self.check_fitted()
        picked = []
        for inner in self.ranking_:
            if seen and int(self.movie_ids_[inner]) in seen:
                continue
            picked.append(inner)
            if len(picked) == n:
                break
        picked = np.asarray(picked, dtype=np.int64)
        return self.movie_ids_[picked], self.scores_[picked]

    # ------------------------------------------------------------------ persistence (core.models)
    def _learned_arrays(self) -> dict[str, Any]:
        return {"mu": np.array([self.mu_]), "sums": self.sums_, "scores": self.scores_}

    def _save_state(self, folder: Path) -> list[str]:
        save_npz(folder / STATS_FILE, {"mu": np.array([self.mu_]), "movie_ids": self.movie_ids_,
                                       "sums": self.sums_, "counts": self.counts_})
        return [STATS_FILE]

    def _load_state(self, folder: Path, record: dict[str, Any]) -> None:
        arrays = load_npz(folder / STATS_FILE, "popularity statistics")
        self.set_stats(float(arrays["mu"][0]), arrays["movie_ids"], arrays["sums"], arrays["counts"])
