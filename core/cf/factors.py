"""Learned matrix-factorisation state as plain arrays, and the scorer that reads them.

A :class:`FactorModel` holds what a biased SVD learns — global mean ``mu``, user and item biases
``bu``/``bi``, user and item factors ``pu``/``qi`` — plus the raw↔inner id maps. Prediction is
``mu + bu + bi + pu·qi`` clipped to the rating scale, computed in NumPy (no Surprise object is
kept, nothing is pickled). Unknown users or items contribute zero bias and zero factors, as in
Surprise. :meth:`FactorModel.fold_in` places a new user into the trained space by ridge regression
with the item factors and biases fixed.
"""
from __future__ import annotations

from dataclasses import dataclass
import numpy as np
import pandas as pd

from core.errors import MarqueeError

ARRAYS = "factors.npz"


def implicit_sum(trainset, yj: np.ndarray) -> np.ndarray:
    """|N(u)|^-1/2 Σ_{j∈N(u)} y_j per inner user, N(u) the films u rated in ``trainset`` (SVD++)."""
    out = np.zeros((trainset.n_users, yj.shape[1]))
    for u, rated in trainset.ur.items():
        if rated:
            items = np.fromiter((j for j, _ in rated), dtype=np.int64, count=len(rated))
            out[u] = yj[items].sum(axis=0) / np.sqrt(len(items))
    return out


@dataclass
class FactorModel:
    mu: float
    bu: np.ndarray            # (n_users,)
    bi: np.ndarray            # (n_items,)
    pu: np.ndarray            # (n_users, k)
    qi: np.ndarray            # (n_items, k)
    user_ids: np.ndarray      # raw user id of each inner index
    item_ids: np.ndarray      # raw movie id of each inner index
    rating_scale: tuple[float, float]

    def __post_init__(self) -> None:
        self.user_ids = np.asarray(self.user_ids, dtype=np.int64)
        self.item_ids = np.asarray(self.item_ids, dtype=np.int64)
        self.bu, self.bi = np.asarray(self.bu, dtype=float), np.asarray(self.bi, dtype=float)
        self.pu, self.qi = np.asarray(self.pu, dtype=float), np.asarray(self.qi, dtype=float)
        self.rating_scale = tuple(float(x) for x in self.rating_scale)
        self._check_shapes()
        self._user_index = pd.Index(self.user_ids)
        self._item_index = pd.Index(self.item_ids)

    def _check_shapes(self) -> None:
        """Arrays that do not line up are refused here, not met later as an IndexError."""
        n_users, n_items = len(self.user_ids), len(self.item_ids)
        if self.pu.ndim != 2 or self.qi.ndim != 2 or self.pu.shape[1] != self.qi.shape[1]:
            raise MarqueeError(f"factor arrays: user factors {self.pu.shape} and item factors {self.qi.shape} "
                               "must be 2-D with the same number of columns")
        if self.pu.shape[0] != n_users or self.bu.shape != (n_users,):
            raise MarqueeError(f"factor arrays: {n_users} user ids but user factors {self.pu.shape}, biases {self.bu.shape}")
        if self.qi.shape[0] != n_items or self.bi.shape != (n_items,):
            raise MarqueeError(f"factor arrays: {n_items} film ids but item factors {self.qi.shape}, biases {self.bi.shape}")
        if len(np.unique(self.user_ids)) != n_users or len(np.unique(self.item_ids)) != n_items:
            raise MarqueeError("factor arrays: user ids and film ids must each be unique")
        low, high = self.rating_scale
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise MarqueeError(f"rating_scale {self.rating_scale}: expected two finite numbers, low < high")

    @classmethod
    def from_surprise(cls, algo, trainset) -> "FactorModel":
        """Copy the learned arrays of a fitted ``surprise.SVD`` out of Surprise."""
        users = np.array([trainset.to_raw_uid(u) for u in range(trainset.n_users)], dtype=np.int64)
        items = np.array([trainset.to_raw_iid(i) for i in range(trainset.n_items)], dtype=np.int64)
        k = algo.pu.shape[1]
        zeros_u, zeros_i = np.zeros(trainset.n_users), np.zeros(trainset.n_items)
        pu = np.array(algo.pu, dtype=float).reshape(-1, k)
        if getattr(algo, "yj", None) is not None:  # SVD++: p_u + |N(u)|^-1/2 Σ_{j∈N(u)} y_j, N(u) = rated in training
            yj = np.asarray(algo.yj, dtype=float).reshape(-1, k)
            pu = pu + implicit_sum(trainset, yj)
        biased = getattr(algo, "biased", True)
        return cls(mu=float(trainset.global_mean) if biased else 0.0,
                   bu=np.array(algo.bu if biased else zeros_u, dtype=float),
                   bi=np.array(algo.bi if biased else zeros_i, dtype=float),
                   pu=pu, qi=np.array(algo.qi, dtype=float).reshape(-1, k),
                   user_ids=users, item_ids=items, rating_scale=tuple(float(x) for x in trainset.rating_scale))

    @classmethod
    def average(cls, models: list["FactorModel"]) -> "FactorModel":
        """The model whose prediction is the mean of ``models``' (before clipping): biases averaged,
        factors concatenated and scaled by 1/√n so that Σ_k p_k·q_k / n is one dot product."""
        if len(models) == 1:
            return models[0]
        first = models[0]
        for other in models[1:]:
            if not (np.array_equal(other.user_ids, first.user_ids) and np.array_equal(other.item_ids, first.item_ids)):
                raise MarqueeError("can only average factor models trained on the same users and films")
        scale = 1.0 / np.sqrt(len(models))
        return cls(mu=float(np.mean([m.mu for m in models])), bu=np.mean([m.bu for m in models], axis=0),
                   bi=np.mean([m.bi for m in models], axis=0), pu=np.hstack([m.pu for m in models]) * scale,
                   qi=np.hstack([m.qi for m in models]) * scale, user_ids=first.user_ids, item_ids=first.item_ids,
                   rating_scale=first.rating_scale)

    @classmethod
    def blend(cls, models: list["FactorModel"], weights) -> "FactorModel":
        """The model predicting Σ w_m·prediction_m / Σ w_m (before clipping) for positive weights:
        mean and biases weighted, factors concatenated and scaled by √(w_m / Σ w)."""
        weights = np.asarray(weights, dtype=float)
        if len(models) != len(weights) or not len(models) or not (np.isfinite(weights).all() and (weights > 0).all()):
            raise MarqueeError("blend: one positive, finite weight per model is required")
        first = models[0]
        for other in models[1:]:
            if not (np.array_equal(other.user_ids, first.user_ids) and np.array_equal(other.item_ids, first.item_ids)):
                raise MarqueeError("can only blend factor models trained on the same users and films")
        w = weights / weights.sum()
        return cls(mu=float(sum(wm * m.mu for wm, m in zip(w, models))),
                   bu=sum(wm * m.bu for wm, m in zip(w, models)), bi=sum(wm * m.bi for wm, m in zip(w, models)),
                   pu=np.hstack([np.sqrt(wm) * m.pu for wm, m in zip(w, models)]),
                   qi=np.hstack([np.sqrt(wm) * m.qi for wm, m in zip(w, models)]),
                   user_ids=first.user_ids, item_ids=first.item_ids, rating_scale=first.rating_scale)

    @property
    def n_factors(self) -> int:
        return int(self.qi.shape[1])

    def user_inner(self, user_ids) -> np.ndarray:
        """Inner index of each raw user id, −1 when unknown."""
        return self._user_index.get_indexer(np.asarray(user_ids, dtype=np.int64))

    def item_inner(self, movie_ids) -> np.ndarray:
        return self._item_index.get_indexer(np.asarray(movie_ids, dtype=np.int64))

    def clip(self, values: np.ndarray) -> np.ndarray:
        return np.clip(values, *self.rating_scale)

    def predict(self, user_ids, movie_ids) -> np.ndarray:
        """Vectorised predictions for aligned arrays of raw ids (unknown ids get zero terms)."""
        u, i = self.user_inner(user_ids), self.item_inner(movie_ids)
        bu, pu = self.user_terms(u)
        bi, qi = self.item_terms(i)
        return self.clip(self.mu + bu + bi + np.einsum("nk,nk->n", pu, qi))

    def user_terms(self, inner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        known = inner >= 0
        bu = np.where(known, self.bu[np.where(known, inner, 0)], 0.0)
        pu = np.where(known[:, None], self.pu[np.where(known, inner, 0)], 0.0)
        return bu, pu

    def item_terms(self, inner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        known = inner >= 0
        bi = np.where(known, self.bi[np.where(known, inner, 0)], 0.0)
        qi = np.where(known[:, None], self.qi[np.where(known, inner, 0)], 0.0)
        return bi, qi

    def score_matrix(self, bu: np.ndarray, pu: np.ndarray) -> np.ndarray:
        """Unclipped scores of every known item for a batch of user vectors: (n_users, n_items)."""
        return self.mu + bu[:, None] + self.bi[None, :] + pu @ self.qi.T

    def fold_in(self, movie_ids, ratings, reg: float, prior: float = 0.0) -> tuple[float, np.ndarray, int]:
        """Solve for one user's (bias, factors) with item biases and factors fixed.

        Minimises Σ (r − μ − b_i − b_u − p_u·q_i)² + λ(b_u² + ‖p_u‖²) with λ = ``reg``·n + ``prior``:
        ``reg``·n mirrors Surprise's per-rating SGD penalty, ``prior`` keeps users with very few
        ratings near the average taste. Films the model does not know are ignored. Returns
        ``(b_u, p_u, n_used)``; with no usable rating the user is neutral.
        """
        inner = self.item_inner(movie_ids)
        keep = inner >= 0
        n = int(keep.sum())
        if n == 0:
            return 0.0, np.zeros(self.n_factors), 0
        inner = inner[keep]
        target = np.asarray(ratings, dtype=float)[keep] - self.mu - self.bi[inner]
        design = np.hstack([np.ones((n, 1)), self.qi[inner]])
        gram = design.T @ design + (reg * n + prior) * np.eye(design.shape[1])
        solution = np.linalg.solve(gram, design.T @ target)
        return float(solution[0]), solution[1:], n

    # ------------------------------------------------------------------ persistence
    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"mu": np.array([self.mu]), "bu": self.bu, "bi": self.bi, "pu": self.pu, "qi": self.qi,
                "user_ids": self.user_ids, "item_ids": self.item_ids,
                "rating_scale": np.array(self.rating_scale, dtype=float)}

    @classmethod
    def from_arrays(cls, arrays) -> "FactorModel":
        """The inverse of :meth:`to_arrays`; a missing array is one clear error."""
        missing = [name for name in ("mu", "bu", "bi", "pu", "qi", "user_ids", "item_ids", "rating_scale")
                   if name not in arrays]
        if missing:
            raise MarqueeError(f"factor arrays: missing {', '.join(missing)}")
        return cls(mu=float(np.asarray(arrays["mu"]).ravel()[0]), bu=arrays["bu"], bi=arrays["bi"], pu=arrays["pu"],
                   qi=arrays["qi"], user_ids=arrays["user_ids"], item_ids=arrays["item_ids"],
                   rating_scale=tuple(float(x) for x in arrays["rating_scale"]))
