"""Catalog-derived signals for a *new* labeler, and the per-(labeler, film) features built from them.

A new labeler is a person who is not among the catalog's raters. What the catalog's ratings can
tell about such a person's taste comes through a few signals, all built by :func:`build_signals`
from the ratings of *other* people only (``exclude_users`` leaves out anyone who plays the
labeler, so none of their ratings reaches a feature):

* the crowd: each film's shrunk mean rating, shrunk share of "liked" ratings (rating ≥ the like
  threshold), log rating count, and the catalog's vote average;
* item-item similarity (adjusted cosine of user-centred ratings) between the most-rated films;
* an EASE item model (Steck 2019: closed-form ridge regression of each film's "liked" column on
  all others) over the same films;
* item factors from a small alternating-least-squares fit of the user-centred ratings, into which
  a labeler is *folded in* (ridge regression of their labels on the factors of the films they
  labeled: the user step of ALS with the items held fixed);
* content: standardised metadata and text components (no ratings in them).

:func:`labeler_features` turns a labeler's known labels into one row of features per candidate
film. A global combiner learned across many simulated labelers (``core.personal.newlabeler``)
weighs them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.errors import MarqueeError

LIKE_THRESHOLD = 4.0
SHRINK = 10.0            # pseudo-ratings pulling a film's mean / like rate towards the catalog's
CORE_ITEMS = 2500        # films (most rated first) in the similarity and EASE matrices
MIN_CORE_RATINGS = 3
N_FACTORS = 24
ALS_ITERATIONS = 12
ALS_REG = 8.0
EASE_REG = 300.0
FOLD_IN_REG = 3.0
KNN_NEIGHBOURS = 30
KNN_SHRINK = 1.0
BASE_RATE_PRIOR = 4.0    # pseudo-labels pulling a labeler's like rate towards the crowd's

FEATURES = (
    # crowd (no personal labels)
    "crowd_mean", "crowd_like_rate", "crowd_log_count", "vote_average",
    # the labeler
    "log_n_known", "base_rate_logit",
    # collaborative signals from the labeler's own labels
    "knn_score", "knn_support", "sim_liked", "sim_disliked", "ease_liked", "ease_disliked", "fold_in",
    # content
    "content_score", "genre_score",
)
PERSONAL_FEATURES = ("knn_score", "sim_liked", "sim_disliked", "ease_liked", "ease_disliked", "fold_in",
                     "content_score", "genre_score")


@dataclass
class CatalogSignals:
    """What the features need from a catalog, built from the ratings of the people it may use."""

    movie_ids: np.ndarray                 # every film of the catalog, in this order
    crowd: np.ndarray                     # (films, 4): mean, like rate, log count, vote average
    core_position: np.ndarray             # position of each film in the core matrices, -1 outside
    similarity: np.ndarray                # (core, core) float32 adjusted cosine, zero diagonal
    ease: np.ndarray                      # (core, core) float32 EASE weights, zero diagonal
    factors: np.ndarray                   # (films, k) ALS item factors (zero rows: never rated)
    content: np.ndarray                   # (films, d) standardised content vectors
    genres: np.ndarray                    # (films, g) 0/1 genre indicators
    like_rate: float                      # the catalog's share of liked ratings
    excluded_users: frozenset = field(default_factory=frozenset)
    parameters: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = pd.Index(self.movie_ids)

    def positions(self, movie_ids) -> np.ndarray:
        positions = self.index.get_indexer(np.asarray(movie_ids, dtype=np.int64))
        if (positions < 0).any():
            missing = np.asarray(movie_ids)[positions < 0]
            raise MarqueeError(f"{len(missing)} film(s) are not in the catalog (first: {int(missing[0])})")
        return positions

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array (for saving with ``core.io.save_npz``)."""
        return {"movie_ids": self.movie_ids, "crowd": self.crowd, "core_position": self.core_position,
                "similarity": self.similarity, "ease": self.ease, "factors": self.factors, "content": self.content,
                "genres": self.genres, "like_rate": np.array([self.like_rate]),
                "excluded_users": np.array(sorted(self.excluded_users), dtype=np.int64)}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], parameters: dict[str, Any]) -> "CatalogSignals":
        return cls(movie_ids=arrays["movie_ids"].astype(np.int64), crowd=arrays["crowd"],
                   core_position=arrays["core_position"].astype(np.int64), similarity=arrays["similarity"],
                   ease=arrays["ease"], factors=arrays["factors"], content=arrays["content"], genres=arrays["genres"],
                   like_rate=float(arrays["like_rate"][0]),
                   excluded_users=frozenset(int(u) for u in arrays["excluded_users"]), parameters=parameters)


# ------------------------------------------------------------------------------ building
def build_signals(ratings: pd.DataFrame, movies: pd.DataFrame, *, content: pd.DataFrame | None = None,
                  exclude_users=(), like_threshold: float = LIKE_THRESHOLD, core_items: int = CORE_ITEMS,
                  n_factors: int = N_FACTORS, ease_reg: float = EASE_REG, seed: int = 0) -> CatalogSignals:
    """Signals from ``ratings`` without any rating of ``exclude_users``.

    ``movies`` is the catalog's movies table (ids, genres, vote average); ``content`` (optional,
    index ``movie_id``) holds label-free numeric content columns (metadata, text components)."""
    excluded = frozenset(int(u) for u in exclude_users)
    if excluded:
        ratings = ratings[~ratings["user_id"].isin(list(excluded))]
    movie_ids = movies["movie_id"].to_numpy(dtype=np.int64)
    index = pd.Index(movie_ids)
    ratings = ratings[ratings["movie_id"].isin(index)]
    if ratings.empty:
        raise MarqueeError("the catalog has no ratings by other people: the new-labeler model needs them")
    item = index.get_indexer(ratings["movie_id"].to_numpy(dtype=np.int64))
    users, user = np.unique(ratings["user_id"].to_numpy(dtype=np.int64), return_inverse=True)
    value = ratings["rating"].to_numpy(dtype=float)
    liked = (value >= like_threshold).astype(float)
    n_items = len(movie_ids)

    counts = np.bincount(item, minlength=n_items).astype(float)
    mu, like_rate = float(value.mean()), float(liked.mean())
    mean = (np.bincount(item, weights=value, minlength=n_items) + SHRINK * mu) / (counts + SHRINK)
    like = (np.bincount(item, weights=liked, minlength=n_items) + SHRINK * like_rate) / (counts + SHRINK)
    votes = pd.to_numeric(movies["vote_average"], errors="coerce").to_numpy(dtype=float) \
        if "vote_average" in movies else np.full(n_items, np.nan)
    votes = np.where(np.isfinite(votes), votes, np.nanmedian(votes) if np.isfinite(votes).any() else 0.0)
    crowd = np.column_stack([mean, like, np.log1p(counts), votes])

    user_mean = np.bincount(user, weights=value) / np.bincount(user)
    centred = value - user_mean[user]
    core = _core_items(counts, core_items)
    core_position = np.full(n_items, -1, dtype=np.int64)
    core_position[core] = np.arange(len(core))
    similarity, ease = _item_models(user, item, centred, liked, core, core_position, len(users), ease_reg)
    factors = als_item_factors(user, item, centred, len(users), n_items, n_factors, seed=seed)
    content_matrix, genres = _content(movies, content)
    return CatalogSignals(movie_ids=movie_ids, crowd=crowd, core_position=core_position, similarity=similarity,
                          ease=ease, factors=factors, content=content_matrix, genres=genres, like_rate=like_rate,
                          excluded_users=excluded,
                          parameters={"like_threshold": like_threshold, "core_items": int(len(core)),
                                      "n_factors": n_factors, "ease_reg": ease_reg, "raters": int(len(users)),
                                      "ratings": int(len(value))})


def _core_items(counts: np.ndarray, core_items: int) -> np.ndarray:
    rated = np.flatnonzero(counts >= MIN_CORE_RATINGS)
    order = rated[np.argsort(-counts[rated], kind="stable")]
    return np.sort(order[:core_items])


def _item_models(user, item, centred, liked, core, core_position, n_users, ease_reg):
    from scipy import sparse

    in_core = core_position[item] >= 0
    rows, cols = user[in_core], core_position[item[in_core]]
    shape = (n_users, len(core))
    R = sparse.csr_matrix((centred[in_core], (rows, cols)), shape=shape)
    gram = (R.T @ R).toarray()
    norms = np.sqrt(np.diag(gram))
    norms[norms == 0] = 1.0
    similarity = gram / norms[:, None] / norms[None, :]
    np.fill_diagonal(similarity, 0.0)
    L = sparse.csr_matrix((liked[in_core], (rows, cols)), shape=shape)
    G = (L.T @ L).toarray()
    G[np.diag_indices_from(G)] += ease_reg
    P = np.linalg.inv(G)
    B = P / (-np.diag(P))[None, :]
    np.fill_diagonal(B, 0.0)
    return similarity.astype(np.float32), B.astype(np.float32)


def als_item_factors(user: np.ndarray, item: np.ndarray, value: np.ndarray, n_users: int, n_items: int,
                     k: int = N_FACTORS, reg: float = ALS_REG, iterations: int = ALS_ITERATIONS,
                     seed: int = 0) -> np.ndarray:
    """Item factors of ``value ≈ U Vᵀ`` (explicit ALS, ridge ``reg``); films never rated get zeros.

    Users are then placed by :func:`fold_in`, the same user step with the items held fixed."""
    rng = np.random.default_rng(seed)
    V = rng.normal(0, 0.1, size=(n_items, k))
    by_user = _groups(user, n_users)
    by_item = _groups(item, n_items)
    for _ in range(iterations):
        U = np.zeros((n_users, k))
        for u, rows in by_user:
            U[u] = fold_in(V[item[rows]], value[rows], reg)
        V = np.zeros((n_items, k))
        for i, rows in by_item:
            V[i] = fold_in(U[user[rows]], value[rows], reg)
    return V


def _groups(keys: np.ndarray, n: int) -> list[tuple[int, np.ndarray]]:
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(n + 1))
    return [(g, order[bounds[g]:bounds[g + 1]]) for g in range(n) if bounds[g + 1] > bounds[g]]


def fold_in(factors: np.ndarray, targets: np.ndarray, reg: float = FOLD_IN_REG) -> np.ndarray:
    """The vector ``w`` minimising ``‖factors·w − targets‖² + reg·‖w‖²`` (one ridge solve)."""
    k = factors.shape[1]
    return np.linalg.solve(factors.T @ factors + reg * np.eye(k), factors.T @ targets)


def _content(movies: pd.DataFrame, content: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    ids = movies["movie_id"].to_numpy(dtype=np.int64)
    genre_lists = movies["genres"].map(lambda g: list(g) if isinstance(g, (list, np.ndarray)) else []) \
        if "genres" in movies else pd.Series([[]] * len(movies))
    names = sorted({g for gs in genre_lists for g in gs})
    genres = np.zeros((len(movies), len(names)), dtype=np.float32)
    for row, gs in enumerate(genre_lists):
        for g in gs:
            genres[row, names.index(g)] = 1.0
    blocks = [genres.astype(float)]
    if content is not None and len(content.columns):
        block = content.reindex(ids).to_numpy(dtype=float)
        blocks.append(block)
    matrix = np.column_stack(blocks) if blocks else np.zeros((len(ids), 0))
    keep = np.isfinite(matrix).sum(axis=0) >= 2
    std = np.zeros(matrix.shape[1])
    std[keep] = np.nanstd(matrix[:, keep], axis=0)
    keep &= std > 0
    matrix = (matrix[:, keep] - np.nanmean(matrix[:, keep], axis=0)) / std[keep]
    return np.nan_to_num(matrix).astype(np.float32), genres


# ------------------------------------------------------------------------------ features
def labeler_features(signals: CatalogSignals, known_ids, known_liked, candidate_ids) -> np.ndarray:
    """One row of :data:`FEATURES` per candidate film for a labeler with these known labels
    (``known_liked``: 1 = would watch, 0 = would not). Labels of the candidates themselves are
    never used: a candidate that is also a known film is scored from the *other* known labels."""
    known = signals.positions(known_ids) if len(known_ids) else np.zeros(0, dtype=np.int64)
    y = np.asarray(known_liked, dtype=float)
    cand = signals.positions(candidate_ids)
    n, m = len(known), len(cand)
    out = np.zeros((m, len(FEATURES)))
    out[:, 0:4] = signals.crowd[cand]
    out[:, 4] = np.log1p(n)
    own = known[:, None] == cand[None, :]            # (n, m): a candidate's own label is never its feature
    others = n - own.sum(axis=0)
    base = (y.sum() - (own * y[:, None]).sum(axis=0) + BASE_RATE_PRIOR * signals.like_rate) / (others + BASE_RATE_PRIOR)
    out[:, 5] = np.log(base / (1 - base))
    if n == 0:
        return out
    sign = 2.0 * y - 1.0
    liked, disliked = y == 1, y == 0

    # item-item similarity and EASE over the core films
    kc, cc = signals.core_position[known], signals.core_position[cand]
    k_ok, c_ok = kc >= 0, cc >= 0
    S = np.zeros((n, m), dtype=np.float32)
    B = np.zeros((n, m), dtype=np.float32)
    if k_ok.any() and c_ok.any():
        S[np.ix_(k_ok, c_ok)] = signals.similarity[np.ix_(kc[k_ok], cc[c_ok])]
        B[np.ix_(k_ok, c_ok)] = signals.ease[np.ix_(kc[k_ok], cc[c_ok])]
    S[own], B[own] = 0.0, 0.0
    top = _top_k_mask(np.abs(S), KNN_NEIGHBOURS)
    weight = np.abs(S) * top
    out[:, 6] = (S * top * sign[:, None]).sum(axis=0) / (weight.sum(axis=0) + KNN_SHRINK)
    out[:, 7] = weight.sum(axis=0)
    out[:, 8] = _masked_mean(S, liked, own)
    out[:, 9] = _masked_mean(S, disliked, own)
    out[:, 10] = _masked_mean(B, liked, own)
    out[:, 11] = _masked_mean(B, disliked, own)

    # fold-in on the item factors: the candidate's own label left out of its user vector
    out[:, 12] = _fold_in_scores(signals.factors, known, y, cand, own)

    # content: standardised vectors and genres against the labeler's liked and disliked films
    C = signals.content
    if C.shape[1]:
        centroid = _side_mean(C[known], liked, own) - _side_mean(C[known], disliked, own)   # (m, d)
        out[:, 13] = (C[cand] * centroid).sum(axis=1) / np.sqrt(C.shape[1])
    G = signals.genres
    if G.shape[1]:
        g_known = G[known].astype(float)                                                    # (n, g)
        keep = (~own).astype(float)                                                         # (n, m)
        likes = (keep * y[:, None]).T @ g_known                                             # (m, g)
        seen = keep.T @ g_known
        rate = (likes + BASE_RATE_PRIOR * base[:, None]) / (seen + BASE_RATE_PRIOR) - base[:, None]
        g_cand = G[cand].astype(float)
        out[:, 14] = (g_cand * rate).sum(axis=1) / np.maximum(g_cand.sum(axis=1), 1.0)
    return out


def _top_k_mask(magnitude: np.ndarray, k: int) -> np.ndarray:
    if magnitude.shape[0] <= k:
        return magnitude > 0
    threshold = -np.partition(-magnitude, k - 1, axis=0)[k - 1]
    return (magnitude >= threshold[None, :]) & (magnitude > 0)


def _masked_mean(values: np.ndarray, side: np.ndarray, own: np.ndarray) -> np.ndarray:
    mask = side[:, None] & ~own
    count = mask.sum(axis=0)
    return np.where(count > 0, (values * mask).sum(axis=0) / np.maximum(count, 1), 0.0)


def _side_mean(vectors: np.ndarray, side: np.ndarray, own: np.ndarray) -> np.ndarray:
    mask = (side[:, None] & ~own).astype(float)      # (n, m)
    count = mask.sum(axis=0)[:, None]
    return np.where(count > 0, (mask.T @ vectors) / np.maximum(count, 1), 0.0)


def _fold_in_scores(V: np.ndarray, known: np.ndarray, y: np.ndarray, cand: np.ndarray, own: np.ndarray) -> np.ndarray:
    targets = y - y.mean()
    Vk = V[known]
    w = fold_in(Vk, targets)
    scores = V[cand] @ w
    # candidates that are known films: refit without their own label (rare: a handful per call)
    for j in np.flatnonzero(own.any(axis=0)):
        rest = ~own[:, j]
        if rest.any():
            t = y[rest] - y[rest].mean()
            scores[j] = V[cand[j]] @ fold_in(Vk[rest], t)
        else:
            scores[j] = 0.0
    return scores
