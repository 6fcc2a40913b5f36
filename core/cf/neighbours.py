"""Item-based neighbourhood model with baselines (Koren's KNNBaseline, as Surprise computes it with
``sim_options={"name": "pearson_baseline", "user_based": False}``), trained and served in NumPy.

Prediction for user u and film i::

    r̂_ui = μ + b_u + b_i + Σ_{j ∈ N_k(i; u)} s_ij (r_uj − μ − b_u − b_j) / Σ_{j ∈ N_k(i; u)} s_ij

with the baselines b fitted by Surprise's alternating least squares (10 sweeps, λ_i = 10, λ_u = 15),
``s_ij`` the shrunk Pearson correlation of the baseline residuals over the users who rated both
films (``(n_ij − 1)/(n_ij − 1 + shrinkage)``, zero below 2 common users), and ``N_k(i; u)`` the
``k`` films most similar to i among those u rated, of which only positive similarities count (no
residual term when fewer than ``min_k`` do).

Each film keeps its ``max_neighbours`` most similar films with a positive similarity (sorted,
inner indices), which is exact whenever a film has at most that many; the residual term of a
user needs only the user's own ratings, so a person who rated films after training is served at
once (``b_u`` from the same least-squares step with the films fixed).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from core.errors import MarqueeError

ARRAYS = "neighbours.npz"
BASELINE_EPOCHS, REG_USER, REG_ITEM = 10, 15.0, 10.0  # Surprise's bsl_options defaults (ALS)
BLOCK_BYTES = 64_000_000  # each dense films × films work array of a similarity block stays under this


def block_rows(n_items: int, max_rows: int = 512) -> int:
    """Films per similarity block: each dense float32 (rows × n_items) work array fits
    ``BLOCK_BYTES`` (186 rows at 86k films; 512 below 31k films), at least one row."""
    return int(max(1, min(max_rows, BLOCK_BYTES // (4 * max(int(n_items), 1)))))


@dataclass
class Profile:
    """One user's ratings as the neighbourhood reads them: inner film indices and residuals."""

    bu: float
    items: np.ndarray
    residuals: np.ndarray


@dataclass
class Neighbourhood:
    mu: float
    bu: np.ndarray              # (n_users,) baseline user biases
    bi: np.ndarray              # (n_items,) baseline film biases
    neighbours: np.ndarray      # (n_items, M) inner film indices, most similar first, -1 padding
    similarity: np.ndarray      # (n_items, M) positive similarities, 0 padding
    user_ids: np.ndarray
    item_ids: np.ndarray
    indptr: np.ndarray          # training ratings by user (CSR over inner users)
    rated: np.ndarray           # inner film index of each training rating
    ratings: np.ndarray         # its value
    k: int = 40
    min_k: int = 1

    def __post_init__(self) -> None:
        self.user_ids = np.asarray(self.user_ids, dtype=np.int64)
        self.item_ids = np.asarray(self.item_ids, dtype=np.int64)
        self.neighbours = np.asarray(self.neighbours, dtype=np.int32)
        self.similarity = np.asarray(self.similarity, dtype=np.float32)
        n_users, n_items = len(self.user_ids), len(self.item_ids)
        if self.bu.shape != (n_users,) or self.bi.shape != (n_items,) or self.neighbours.shape != self.similarity.shape \
                or self.neighbours.ndim != 2 or self.neighbours.shape[0] != n_items or len(self.indptr) != n_users + 1:
            raise MarqueeError("neighbourhood arrays: shapes do not line up with the user and film ids")
        self._user_index = pd.Index(self.user_ids)
        self._item_index = pd.Index(self.item_ids)

    # ------------------------------------------------------------------ training
    @classmethod
    def fit(cls, ratings: pd.DataFrame, k: int = 40, min_k: int = 1, shrinkage: float = 100.0,
            max_neighbours: int = 1000, user_ids=None, item_ids=None, block: int | None = None) -> "Neighbourhood":
        """Baselines, similarities and each film's top neighbours from ``ratings`` (user_id,
        movie_id, rating). ``user_ids``/``item_ids`` fix the inner order (a blend aligns members).
        Similarities are computed ``block`` films at a time (default :func:`block_rows`) in
        float32, the precision they are kept in."""
        users = pd.Index(user_ids if user_ids is not None else pd.unique(ratings["user_id"].to_numpy()))
        items = pd.Index(item_ids if item_ids is not None else pd.unique(ratings["movie_id"].to_numpy()))
        u = users.get_indexer(ratings["user_id"].to_numpy())
        i = items.get_indexer(ratings["movie_id"].to_numpy())
        if (u < 0).any() or (i < 0).any():
            raise MarqueeError("neighbourhood: ratings name users or films outside the given ids")
        r = ratings["rating"].to_numpy(float)
        n_users, n_items = len(users), len(items)
        mu = float(r.mean())
        user_n, item_n = np.bincount(u, minlength=n_users), np.bincount(i, minlength=n_items)
        bu, bi = np.zeros(n_users), np.zeros(n_items)
        for _ in range(BASELINE_EPOCHS):  # Surprise's order: films, then users
            bi = np.bincount(i, r - mu - bu[u], minlength=n_items) / (REG_ITEM + item_n)
            bu = np.bincount(u, r - mu - bi[i], minlength=n_users) / (REG_USER + user_n)
        residual = r - mu - bu[u] - bi[i]
        D = sparse.csc_matrix((residual.astype(np.float32), (u, i)), shape=(n_users, n_items))
        B = sparse.csc_matrix((np.ones(len(r), dtype=np.float32), (u, i)), shape=(n_users, n_items))
        D2 = D.multiply(D).tocsc()
        block = block_rows(n_items) if block is None else max(1, int(block))
        M = int(min(max_neighbours, max(n_items - 1, 1)))
        neighbours = np.full((n_items, M), -1, dtype=np.int32)
        similarity = np.zeros((n_items, M), dtype=np.float32)
        for start in range(0, n_items, block):
            cols = slice(start, min(start + block, n_items))
            # float32 work arrays, combined in place: at most three rows × n_items arrays live at once
            sim = (D[:, cols].T @ D).toarray()          # Σ residual products
            norm = (D2[:, cols].T @ B).toarray()
            norm *= (B[:, cols].T @ D2).toarray()
            np.sqrt(norm, out=norm)
            with np.errstate(divide="ignore", invalid="ignore"):
                np.divide(sim, norm, out=sim)
                del norm
                freq = (B[:, cols].T @ B).toarray()     # common raters
                few = freq < 2
                freq -= 1
                sim *= freq
                freq += np.float32(shrinkage)
                np.divide(sim, freq, out=sim)
                del freq
            sim[~np.isfinite(sim) | few] = 0.0
            rows = np.arange(cols.stop - cols.start)
            sim[rows, rows + start] = 0.0  # a film is not its own neighbour
            top = np.argpartition(-sim, M - 1, axis=1)[:, :M] if M < n_items else np.tile(np.arange(n_items), (len(rows), 1))
            top_sim = np.take_along_axis(sim, top, axis=1)
            order = np.lexsort((top, -top_sim), axis=1)
            top, top_sim = np.take_along_axis(top, order, axis=1)[:, :M], np.take_along_axis(top_sim, order, axis=1)[:, :M]
            keep = top_sim > 0
            neighbours[cols] = np.where(keep, top, -1)
            similarity[cols] = np.where(keep, top_sim, 0.0)
        width = max(int((neighbours >= 0).sum(axis=1).max()), 1)  # no column that is padding for every film
        neighbours, similarity = neighbours[:, :width], similarity[:, :width]
        order = np.argsort(u, kind="stable")
        indptr = np.searchsorted(u[order], np.arange(n_users + 1))
        return cls(mu=mu, bu=bu, bi=bi, neighbours=neighbours, similarity=similarity, user_ids=users.to_numpy(),
                   item_ids=items.to_numpy(), indptr=indptr, rated=i[order].astype(np.int32), ratings=r[order], k=k,
                   min_k=min_k)

    # ------------------------------------------------------------------ users
    def item_inner(self, movie_ids) -> np.ndarray:
        return self._item_index.get_indexer(np.asarray(movie_ids, dtype=np.int64))

    def trained_profile(self, user_id: int) -> Profile | None:
        """A trained user's training ratings as residuals of the baselines (None if unknown)."""
        inner = self._user_index.get_indexer([int(user_id)])[0]
        if inner < 0:
            return None
        s, t = self.indptr[inner], self.indptr[inner + 1]
        items = self.rated[s:t].astype(np.int64)
        return Profile(float(self.bu[inner]), items, self.ratings[s:t] - self.mu - self.bu[inner] - self.bi[items])

    def fold_in(self, movie_ids, ratings) -> Profile:
        """A user from ratings given after training: b_u by the baselines' least-squares step."""
        inner = self.item_inner(movie_ids)
        keep = inner >= 0
        items, values = inner[keep], np.asarray(ratings, dtype=float)[keep]
        if len(items):  # one rating per film: the latest given wins
            last = len(items) - 1 - np.unique(items[::-1], return_index=True)[1]
            items, values = items[last], values[last]
        bu = float((values - self.mu - self.bi[items]).sum() / (REG_USER + len(items)))
        return Profile(bu, items, values - self.mu - bu - self.bi[items])

    # ------------------------------------------------------------------ scoring
    def baseline(self, profile: Profile, items: np.ndarray) -> np.ndarray:
        """μ + b_u + b_i for inner film indices (b_i = 0 for -1)."""
        return self.mu + profile.bu + np.where(items >= 0, self.bi[np.maximum(items, 0)], 0.0)

    def residual_term(self, profile: Profile, items: np.ndarray, chunk: int = 4096) -> np.ndarray:
        """The neighbourhood term for inner film indices ``items`` (0 for -1 or too few neighbours)."""
        out = np.zeros(len(items))
        if not len(profile.items) or not len(items):
            return out
        n_items = len(self.item_ids)
        resid = np.zeros(n_items + 1)          # index n_items = padding (-1)
        rated = np.zeros(n_items + 1, dtype=bool)
        resid[profile.items], rated[profile.items] = profile.residuals, True
        for start in range(0, len(items), chunk):
            part = items[start:start + chunk]
            valid = part >= 0
            nb = self.neighbours[np.maximum(part, 0)]
            nb = np.where(nb >= 0, nb, n_items)
            hit = rated[nb] & valid[:, None]
            hit &= np.cumsum(hit, axis=1) <= self.k
            sim = np.where(hit, self.similarity[np.maximum(part, 0)], 0.0)
            den = sim.sum(axis=1)
            num = (sim * resid[nb]).sum(axis=1)
            enough = (hit.sum(axis=1) >= self.min_k) & (den > 0)
            out[start:start + len(part)] = np.where(enough, num / np.where(den > 0, den, 1.0), 0.0)
        return out

    def predict(self, profile: Profile, movie_ids) -> np.ndarray:
        """Unclipped KNNBaseline predictions of one user for raw film ids."""
        items = self.item_inner(movie_ids)
        return self.baseline(profile, items) + self.residual_term(profile, items)

    # ------------------------------------------------------------------ persistence
    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"mu": np.array([self.mu]), "bu": self.bu, "bi": self.bi, "neighbours": self.neighbours,
                "similarity": self.similarity, "user_ids": self.user_ids, "item_ids": self.item_ids,
                "indptr": self.indptr, "rated": self.rated, "ratings": self.ratings,
                "k": np.array([self.k]), "min_k": np.array([self.min_k])}

    @classmethod
    def from_arrays(cls, arrays) -> "Neighbourhood":
        missing = [name for name in ("mu", "bu", "bi", "neighbours", "similarity", "user_ids", "item_ids", "indptr",
                                     "rated", "ratings", "k", "min_k") if name not in arrays]
        if missing:
            raise MarqueeError(f"neighbourhood arrays: missing {', '.join(missing)}")
        return cls(mu=float(np.asarray(arrays["mu"]).ravel()[0]), bu=np.asarray(arrays["bu"], float),
                   bi=np.asarray(arrays["bi"], float), neighbours=arrays["neighbours"], similarity=arrays["similarity"],
                   user_ids=arrays["user_ids"], item_ids=arrays["item_ids"], indptr=np.asarray(arrays["indptr"]),
                   rated=np.asarray(arrays["rated"]), ratings=np.asarray(arrays["ratings"], float),
                   k=int(np.asarray(arrays["k"]).ravel()[0]), min_k=int(np.asarray(arrays["min_k"]).ravel()[0]))
