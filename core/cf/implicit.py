"""Implicit-feedback ALS (Hu, Koren & Volinsky 2008) for catalogs whose "ratings" are watch logs.

Each row is one event: ``rating`` is its strength, or empty for a plain watch (strength 1);
repeated events of a (user, film) pair add up. Preference ``p_ui`` is 1 for every watched pair
and 0 otherwise, with confidence ``c_ui = 1 + alpha·s_ui``; alternating exact least squares
minimise ``Σ c_ui (p_ui − x_u·y_i)² + λ(‖x_u‖² + ‖y_i‖²)`` over *all* pairs, using
``YᵀY + Yᵀ(C_u − I)Y`` so each user costs only their own events. No biases, no global mean:
scores are preferences around [0, 1] (the rating scale is (0, 1) for clipping). The same
arithmetic as Spark's ``implicitPrefs`` ALS, on one machine, as a :class:`FactorModel`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.cf.factors import FactorModel
from core.errors import MarqueeError
from core.progress import ProgressFn, null_progress


def watch_strengths(events: pd.DataFrame) -> pd.DataFrame:
    """One row per (user, film) with the summed strength of its events (an empty rating = 1)."""
    for column in ("user_id", "movie_id"):
        if column not in events.columns:
            raise MarqueeError(f"watch log: missing column {column}")
    strength = (events["rating"].astype(float) if "rating" in events.columns
                else pd.Series(1.0, index=events.index)).fillna(1.0)
    if not np.isfinite(strength.to_numpy()).all() or (strength < 0).any():
        raise MarqueeError("ratings.rating: watch strengths must be finite and ≥ 0 (empty means 1)")
    frame = events[["user_id", "movie_id"]].assign(rating=strength)
    return frame.groupby(["user_id", "movie_id"], as_index=False, sort=False)["rating"].sum()


def fit_implicit_als(events: pd.DataFrame, n_factors: int = 32, n_iterations: int = 15, reg: float = 0.1,
                     alpha: float = 10.0, seed: int = 0, progress: ProgressFn | None = None) -> FactorModel:
    """Alternating least squares on ``events`` (user_id, movie_id, optional rating = strength)."""
    progress = progress or null_progress
    pairs = watch_strengths(events)
    if pairs.empty:
        raise MarqueeError("watch log: no events to train on")
    user_codes, users = pd.factorize(pairs["user_id"].to_numpy())
    item_codes, items = pd.factorize(pairs["movie_id"].to_numpy())
    confidence = alpha * pairs["rating"].to_numpy(float)  # c − 1
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 0.01, (len(users), n_factors))
    Y = rng.normal(0, 0.01, (len(items), n_factors))
    by_user = _grouped(user_codes, item_codes, confidence, len(users))
    by_item = _grouped(item_codes, user_codes, confidence, len(items))
    for iteration in range(n_iterations):
        X = _solve(by_user, Y, reg)
        Y = _solve(by_item, X, reg)
        progress(iteration + 1, n_iterations, f"ALS iteration {iteration + 1}/{n_iterations}")
    return FactorModel(mu=0.0, bu=np.zeros(len(users)), bi=np.zeros(len(items)), pu=X, qi=Y, user_ids=users,
                       item_ids=items, rating_scale=(0.0, 1.0))


def _grouped(codes: np.ndarray, others: np.ndarray, confidence: np.ndarray, n: int):
    order = np.argsort(codes, kind="stable")
    return others[order], confidence[order], np.searchsorted(codes[order], np.arange(n + 1))


def _solve(groups, other: np.ndarray, reg: float) -> np.ndarray:
    """Every row's exact solve: (OᵀO + Oᵀ(C − I)O + λI) x = Oᵀ C p over that row's events."""
    others, confidence, bounds = groups
    k = other.shape[1]
    base = other.T @ other + reg * np.eye(k)
    n = len(bounds) - 1
    gram = np.broadcast_to(base, (n, k, k)).copy()
    rhs = np.zeros((n, k))
    for row in range(n):
        s, t = bounds[row], bounds[row + 1]
        if s == t:
            continue
        factors, c = other[others[s:t]], confidence[s:t]
        gram[row] += (factors * c[:, None]).T @ factors
        rhs[row] = factors.T @ (1.0 + c)
    return np.linalg.solve(gram, rhs[..., None])[..., 0]
